'use strict';
// Reads channel history with the real ably-js REST client, as a subscriber of the Node.js connector would.
// Usage: node history.js <port> <key> <channel> [<channel> ...]
// Prints one JSON line: {"ok":true,"messages":[{"channel","name","data","dataType","encoding"}, ...]} (oldest first per channel).

const Ably = require('ably');

async function main() {
  const [port, key, ...channels] = process.argv.slice(2);
  if (!port || !key || channels.length === 0) {
    throw new Error('usage: node history.js <port> <key> <channel> [<channel> ...]');
  }

  // An endpoint with a '.' is used verbatim as the host; JSON because ably-js defaults to msgpack in Node.
  const rest = new Ably.Rest({ key, endpoint: '127.0.0.1', port: Number(port), tls: false, useBinaryProtocol: false, logLevel: 0 });
  const messages = [];
  for (const channel of channels) {
    const page = await rest.channels.get(channel).history({ direction: 'forwards', limit: 1000 });
    for (const m of page.items) {
      messages.push({ channel, name: m.name, data: m.data, dataType: typeof m.data, encoding: m.encoding ?? null });
    }
  }

  return { ok: true, messages };
}

main().then(
  (result) => {
    process.stdout.write(JSON.stringify(result) + '\n');
    process.exit(0);
  },
  (error) => {
    process.stdout.write(JSON.stringify({ ok: false, error: String((error && error.stack) || error), code: error && error.code }) + '\n');
    process.exit(1);
  },
);
