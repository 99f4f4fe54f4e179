'use strict';
// Drives the real ably-js Realtime client against the local server's WebSocket endpoint.
// Usage: node realtime.js <baseUrl> <key>
// Prints one JSON object with what it saw; exits non-zero on the first failed expectation.

const assert = require('node:assert/strict');
const Ably = require('ably');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what, predicate, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for ' + what);
    await sleep(20);
  }
}

async function main() {
  const [baseUrl, key] = process.argv.slice(2);
  const url = new URL(baseUrl);
  const options = {
    key,
    endpoint: url.hostname,
    port: Number(url.port),
    tls: false,
    useBinaryProtocol: false,
    disconnectedRetryTimeout: 300,
    logLevel: 0,
  };
  const results = {};
  const run = Date.now().toString(36);
  const rest = new Ably.Rest(options);
  const feed = rest.channels.get(`feed-${run}`);
  await feed.publish([{ name: 'old', data: 'o1' }, { name: 'old', data: 'o2' }, { name: 'old', data: 'o3' }]);

  const realtime = new Ably.Realtime(options);
  const connected = await realtime.connection.once('connected');
  results.connectionId = realtime.connection.id;
  assert.ok(realtime.connection.key.startsWith(realtime.connection.id + '!'));
  assert.equal(connected.reason, undefined);

  // rewind replays history; then REST, batch and realtime publishes arrive in order, decoded.
  const received = [];
  const channel = realtime.channels.get(feed.name, { params: { rewind: '2' } });
  const attached = await channel.subscribe((m) => received.push({ name: m.name, data: m.data, id: m.id }));
  results.attached = { hasBacklog: attached.hasBacklog, resumed: attached.resumed, modes: channel.modes, params: channel.params };
  assert.deepEqual(channel.modes, ['publish', 'subscribe']);
  await feed.publish('object', { hello: 'world' });
  await rest.batchPublish({ channels: [feed.name], messages: { name: 'batched', data: 'b' } });
  const ack = await channel.publish('from-realtime', 'r');
  results.publishResult = ack ?? null;
  await waitFor('5 messages', () => received.length === 5);
  assert.deepEqual(received.map((m) => m.data), ['o2', 'o3', { hello: 'world' }, 'b', 'r']);

  results.pingMs = await realtime.connection.ping();

  // Dropped by the server and kept away for 800 ms: ably-js resumes and re-attaches; nothing is lost or doubled.
  const events = [];
  realtime.connection.on((change) => events.push(change.current));
  const dropped = await (await fetch(`${baseUrl}/_local/realtime/disconnect?refuseMs=800`, { method: 'POST' })).json();
  assert.equal(dropped.dropped, 1);
  for (let i = 0; i < 5; i++) await feed.publish('gap', `g${i}`);
  await waitFor('reconnection', () => realtime.connection.state === 'connected' && events.includes('disconnected'));
  await waitFor('the gap', () => received.length === 10);
  await feed.publish('after', 'a');
  await waitFor('after', () => received.length === 11);
  assert.deepEqual(received.slice(5).map((m) => m.data), ['g0', 'g1', 'g2', 'g3', 'g4', 'a']);
  assert.equal(new Set(received.map((m) => m.id)).size, received.length, 'no message twice');
  results.resume = { sameConnection: realtime.connection.id === results.connectionId, events };

  await channel.detach();
  assert.equal(channel.state, 'detached');
  realtime.close();
  await realtime.connection.once('closed');

  // A wrong key fails the connection with 40101; msgpack fails with a message saying what to set.
  const wrong = new Ably.Realtime({ ...options, key: key.split(':')[0] + ':wrong' });
  const failed = await wrong.connection.once('failed');
  results.wrongKey = { code: failed.reason.code, statusCode: failed.reason.statusCode };
  const msgpack = new Ably.Realtime({ ...options, useBinaryProtocol: true });
  const refused = await msgpack.connection.once('failed');
  results.msgpack = { code: refused.reason.code, message: refused.reason.message };

  // A page's way: a token from authUrl, no key.
  const { key: _, ...withoutKey } = options;
  const tokenClient = new Ably.Realtime({ ...withoutKey, authUrl: `${baseUrl}/_local/token` });
  await tokenClient.connection.once('connected');
  results.tokenAuth = tokenClient.auth.tokenDetails ? 'token' : 'none';
  tokenClient.close();

  results.ok = true;
  console.log(JSON.stringify(results));
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error && error.stack ? error.stack : error);
    process.exit(1);
  },
);
