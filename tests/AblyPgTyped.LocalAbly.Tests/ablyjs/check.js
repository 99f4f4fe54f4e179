'use strict';
// Drives the real ably-js REST client against the local Ably-compatible server.
// Usage: node check.js <baseUrl> <key>
// Prints one JSON object with what it saw; exits non-zero on the first failed expectation.

const assert = require('node:assert/strict');
const Ably = require('ably');

async function main() {
  const [baseUrl, key] = process.argv.slice(2);
  if (!baseUrl || !key) {
    throw new Error('usage: node check.js <baseUrl> <key>');
  }

  const url = new URL(baseUrl);
  // endpoint with a '.' is used verbatim as the host (no fallback hosts); JSON because ably-js defaults to msgpack in Node.
  const clientOptions = {
    key,
    endpoint: url.hostname,
    port: Number(url.port),
    tls: false,
    useBinaryProtocol: false,
    logLevel: 0,
  };
  const rest = new Ably.Rest(clientOptions);
  const run = Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
  const results = { ablyVersion: rest.Defaults?.version ?? null, clientOptions: { ...clientOptions, key: '<redacted>' } };

  // /time
  const time = await rest.time();
  assert.equal(typeof time, 'number');
  assert.ok(Math.abs(time - Date.now()) < 60_000, 'server time close to local time');
  results.time = time;

  // Single-channel publishes: a string, an object, an array, extras; the channel name needs %2F and Unicode handling.
  const channelName = `ablyjs:check/${run} ü`;
  const channel = rest.channels.get(channelName);
  const stringResult = await channel.publish('greeting', 'hello');
  await channel.publish('object', { hello: 'world', n: 1 });
  await channel.publish([{ name: 'm1', data: 'a' }, { name: 'm2', data: 'b' }]);
  await channel.publish({ name: 'extras', data: 'x', extras: { headers: { source: 'check' } } });
  results.publishResult = stringResult;

  const page = await channel.history({ limit: 100 });
  const names = page.items.map((m) => m.name);
  assert.deepEqual(names, ['extras', 'm2', 'm1', 'object', 'greeting'], 'history is newest first');
  const byName = Object.fromEntries(page.items.map((m) => [m.name, m]));
  assert.equal(byName.greeting.data, 'hello');
  assert.deepEqual(byName.object.data, { hello: 'world', n: 1 }, 'object data decoded from encoding json');
  assert.deepEqual(byName.extras.extras, { headers: { source: 'check' } });
  assert.ok(byName.greeting.id, 'ids are present');
  assert.equal(typeof byName.greeting.timestamp, 'number');
  results.history = page.items.map((m) => ({ id: m.id, name: m.name, data: m.data, encoding: m.encoding ?? null }));

  // Idempotent publishing: the same explicit id twice is stored once.
  const dedupChannel = rest.channels.get(`ablyjs:dedup-${run}`);
  await dedupChannel.publish({ id: `idem-${run}`, name: 'once', data: '1' });
  await dedupChannel.publish({ id: `idem-${run}`, name: 'once', data: '1' });
  const dedupPage = await dedupChannel.history();
  assert.equal(dedupPage.items.length, 1, 'duplicate id dropped');
  results.dedupCount = dedupPage.items.length;

  // Batch publish: object data goes out raw (ably-js does not encode batch messages) and comes back decoded.
  const batchChannels = [`ablyjs:batch-a-${run}`, `ablyjs:batch-b-${run}`];
  const batch = await rest.batchPublish([
    { channels: batchChannels, messages: [{ name: 'b1', data: 'x' }, { name: 'b2', data: { k: 1 } }] },
    { channels: `ablyjs:batch-c-${run}`, messages: { name: 'b3', data: 'y' } },
  ]);
  assert.equal(batch.length, 2);
  assert.equal(batch[0].successCount, 2);
  assert.equal(batch[0].failureCount, 0);
  assert.equal(batch[1].successCount, 1);
  assert.equal(batch[0].results[0].channel, batchChannels[0]);
  const batchHistory = await rest.channels.get(batchChannels[1]).history({ direction: 'forwards' });
  assert.deepEqual(batchHistory.items.map((m) => m.name), ['b1', 'b2']);
  assert.deepEqual(batchHistory.items[1].data, { k: 1 });
  results.batch = batch;

  // Paging: more messages than the limit, in both directions, following next().
  const pagingChannel = rest.channels.get(`ablyjs:paging-${run}`);
  const total = 7;
  await pagingChannel.publish(Array.from({ length: total }, (_, i) => ({ name: `p${i}`, data: String(i) })));
  const pages = {};
  for (const direction of ['forwards', 'backwards']) {
    const sizes = [];
    const seen = [];
    let current = await pagingChannel.history({ limit: 3, direction });
    for (;;) {
      sizes.push(current.items.length);
      seen.push(...current.items.map((m) => m.name));
      if (!current.hasNext()) {
        break;
      }
      current = await current.next();
      assert.ok(current, 'next() returned a page');
    }
    assert.ok(current.isLast(), 'last page reports isLast');
    assert.deepEqual(sizes, [3, 3, 1]);
    const expected = Array.from({ length: total }, (_, i) => `p${i}`);
    assert.deepEqual(seen, direction === 'forwards' ? expected : expected.reverse());
    pages[direction] = { sizes, names: seen };
  }
  results.paging = pages;

  // Errors: ably-js must see the Ably code (needs the exact application/json content type or the X-Ably-Error* headers).
  const badKey = new Ably.Rest({ ...clientOptions, key: key.split(':')[0] + ':wrong-secret' });
  const authError = await badKey.channels.get('ablyjs:auth').publish('x', 'y').then(() => null, (e) => e);
  assert.ok(authError, 'wrong secret rejected');
  assert.equal(authError.code, 40101);
  assert.equal(authError.statusCode, 401);
  results.authError = { code: authError.code, statusCode: authError.statusCode, message: authError.message };

  const msgpack = new Ably.Rest({ ...clientOptions, useBinaryProtocol: true });
  const msgpackError = await msgpack.channels.get('ablyjs:msgpack').publish('x', 'y').then(() => null, (e) => e);
  assert.ok(msgpackError, 'msgpack publish rejected');
  assert.equal(msgpackError.statusCode, 415);
  assert.match(msgpackError.message, /useBinaryProtocol/);
  results.msgpackError = { code: msgpackError.code, statusCode: msgpackError.statusCode };

  results.ok = true;
  results.channel = channelName;
  return results;
}

main().then(
  (results) => {
    process.stdout.write(JSON.stringify(results) + '\n');
    process.exit(0);
  },
  (error) => {
    process.stdout.write(JSON.stringify({ ok: false, error: String(error && error.stack || error), code: error && error.code, statusCode: error && error.statusCode }) + '\n');
    process.exit(1);
  },
);
