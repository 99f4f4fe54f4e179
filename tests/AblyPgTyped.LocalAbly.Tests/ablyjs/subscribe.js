'use strict';
// A long-running ably-js Realtime subscriber for tests: node subscribe.js <baseUrl> <key> <channel>...
// Prints one JSON line per event as it happens: {"event":"state"|"channel"|"attached"|"message", ...}.
// Reads commands on stdin: "close" closes the connection and exits.

const readline = require('node:readline');
const Ably = require('ably');

const [baseUrl, key, ...channelNames] = process.argv.slice(2);
const url = new URL(baseUrl);
const print = (event) => process.stdout.write(JSON.stringify(event) + '\n');

const realtime = new Ably.Realtime({
  key,
  endpoint: url.hostname,
  port: Number(url.port),
  tls: false,
  useBinaryProtocol: false,
  disconnectedRetryTimeout: 250,
  logLevel: 0,
});

realtime.connection.on((change) => print({ event: 'state', state: change.current, reason: change.reason ? change.reason.message : null }));

for (const name of channelNames) {
  const channel = realtime.channels.get(name);
  channel.on((change) => print({ event: 'channel', channel: name, state: change.current, resumed: !!change.resumed, reason: change.reason ? change.reason.message : null }));
  channel
    .subscribe((message) => print({ event: 'message', channel: name, id: message.id, name: message.name, data: message.data }))
    .then(() => print({ event: 'attached', channel: name }), (error) => print({ event: 'error', channel: name, message: String(error) }));
}

readline.createInterface({ input: process.stdin }).on('line', async (line) => {
  if (line.trim() === 'close') {
    realtime.close();
    await realtime.connection.once('closed');
    print({ event: 'closed' });
    process.exit(0);
  }
});
