// An app's event receiver written with the official Node SDK, unchanged: EventDispatcher
// behind adaptDefault on a plain http server (autoChallenge answers the URL challenge).
// Prints {"port": N} once listening, then one JSON line per event a handler received.
'use strict';
const http = require('http');
const lark = require('@larksuiteoapi/node-sdk');

const token = process.env.LARK_VERIFICATION_TOKEN || '';
const encryptKey = process.env.LARK_ENCRYPT_KEY || '';
const print = (type) => async (data) => {
  process.stdout.write(JSON.stringify({ type, data }) + '\n');
  return 'ok';
};
const dispatcher = new lark.EventDispatcher({
  verificationToken: token,
  encryptKey,
  loggerLevel: lark.LoggerLevel.error,
}).register({
  'helpdesk.ticket.created_v1': print('helpdesk.ticket.created_v1'),
  'helpdesk.ticket.updated_v1': print('helpdesk.ticket.updated_v1'),
  'helpdesk.ticket_message.created_v1': print('helpdesk.ticket_message.created_v1'),
});
const server = http.createServer(
  lark.adaptDefault('/webhook/event', dispatcher, { autoChallenge: true }),
);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
