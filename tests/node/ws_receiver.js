// An app receiving helpdesk events over the long connection with the official Node SDK,
// unchanged: WSClient pointed at larkdesk (domain), its EventDispatcher registered for
// the helpdesk events. Prints one JSON line per event a handler received.
// Usage: node ws_receiver.js APP_ID APP_SECRET DOMAIN
'use strict';
const lark = require('@larksuiteoapi/node-sdk');

const [appId, appSecret, domain] = process.argv.slice(2);
const print = (type) => async (data) => {
  process.stdout.write(JSON.stringify({ type, data }) + '\n');
};
const dispatcher = new lark.EventDispatcher({ loggerLevel: lark.LoggerLevel.error }).register({
  'helpdesk.ticket.created_v1': print('helpdesk.ticket.created_v1'),
  'helpdesk.ticket.updated_v1': print('helpdesk.ticket.updated_v1'),
  'helpdesk.ticket_message.created_v1': print('helpdesk.ticket_message.created_v1'),
});
const client = new lark.WSClient({
  appId,
  appSecret,
  domain,
  loggerLevel: lark.LoggerLevel.info,
});
client.start({ eventDispatcher: dispatcher });
process.on('SIGTERM', () => {
  client.close();
  process.exit(0);
});
