// Calls larkdesk through the official Node SDK's client, unchanged: reads one JSON object
// {"config": {appId, appSecret, domain, helpDeskId, helpDeskToken}, "calls": [{resource,
// method, payload}]} on stdin and prints one JSON line per call, in order:
// {"ok": true, "data": <the SDK's answer>} or {"ok": false, "status", "data", "message"}
// when the SDK threw (it throws on an HTTP error status). A binary answer (ticketImage) is
// printed as {"ok": true, "bytes": <base64>, "headers": {...}}. With {"enumerate": true}
// instead of calls, it prints the [resource, method] pairs of `client.helpdesk.v1` (the
// *WithIterator helpers left out: they page through `list`/`search`).
'use strict';
const util = require('util');
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

const toStderr = (...parts) => process.stderr.write(parts.map((p) => util.inspect(p, { depth: 2 })).join(' ') + '\n');
const quiet = { error: toStderr, warn: toStderr, info: toStderr, debug: toStderr, trace: toStderr };

const main = async () => {
  const { config, calls, enumerate } = await readAll();
  const client = new lark.Client({
    ...config,
    appType: lark.AppType.SelfBuild,
    loggerLevel: lark.LoggerLevel.error,
    logger: quiet, // the SDK logs errors to stdout; stdout is for the answers
  });
  if (enumerate) {
    const pairs = [];
    for (const [resource, methods] of Object.entries(client.helpdesk.v1)) {
      for (const [method, fn] of Object.entries(methods)) {
        if (typeof fn === 'function' && !method.endsWith('WithIterator')) pairs.push([resource, method]);
      }
    }
    process.stdout.write(JSON.stringify(pairs) + '\n');
    return;
  }
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
      let data = response.data;
      if (data && typeof data.pipe === 'function') {
        // A binary API's error (responseType "stream"): the body is still Feishu's JSON.
        const text = (await streamBytes(data)).toString('utf8');
        try {
          data = JSON.parse(text);
        } catch (_) {
          data = text;
        }
      }
      line = { ok: false, status: response.status, data, message: String(error.message) };
    }
    process.stdout.write(JSON.stringify(line) + '\n');
  }
};

main().catch((error) => {
  process.stderr.write(String(error && error.stack) + '\n');
  process.exit(1);
});
