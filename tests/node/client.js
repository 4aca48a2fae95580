// Calls larkdesk through the official Node SDK's client, unchanged: reads one JSON object
// {"config": {appId, appSecret, domain, helpDeskId, helpDeskToken}, "calls": [{resource,
// method, payload}]} on stdin and prints one JSON line per call, in order:
// {"ok": true, "data": <the SDK's answer>} or {"ok": false, "status", "data", "message"}
// when the SDK threw (it throws on an HTTP error status). A binary answer (ticketImage) is
// printed as {"ok": true, "bytes": <base64>, "headers": {...}}.
'use strict';
const lark = require('@larksuiteoapi/node-sdk');

const readAll = async () => {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
};

const streamBytes = async (stream) => {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
};

const toStderr = (...parts) => process.stderr.write(JSON.stringify(parts) + '\n');
const quiet = { error: toStderr, warn: toStderr, info: toStderr, debug: toStderr, trace: toStderr };

const main = async () => {
  const { config, calls } = await readAll();
  const client = new lark.Client({
    ...config,
    appType: lark.AppType.SelfBuild,
    loggerLevel: lark.LoggerLevel.error,
    logger: quiet, // the SDK logs errors to stdout; stdout is for the answers
  });
  for (const { resource, method, payload } of calls) {
    let line;
    try {
      // As a Node app calls Helpdesk APIs: the helpdesk credential is an option per call.
      const answer = await client.helpdesk.v1[resource][method](payload, lark.withHelpDeskCredential());
      if (answer && typeof answer.getReadableStream === 'function') {
        const bytes = await streamBytes(answer.getReadableStream());
        line = { ok: true, bytes: bytes.toString('base64'), headers: answer.headers || {} };
      } else {
        line = { ok: true, data: answer };
      }
    } catch (error) {
      const response = error.response || {};
      line = { ok: false, status: response.status, data: response.data, message: String(error.message) };
    }
    process.stdout.write(JSON.stringify(line) + '\n');
  }
};

main().catch((error) => {
  process.stderr.write(String(error && error.stack) + '\n');
  process.exit(1);
});
