'use strict';
// Shows a table mapped with [AblyTable] live, from the typed change messages the connector publishes.
//
// A message's data is one change, {schema, table, operation, position, capturedAt, key, new, old}, or (name "bundle")
// {changes: [change, …]}. Insert, update and delete of one table may go to different channels, and Ably orders
// messages only within a channel, so every change is applied by its position: a row keeps the position of the last
// change applied to it, a deleted row leaves a tombstone, and anything older than what a row has seen is ignored.

(function () {
  const query = new URLSearchParams(location.search);
  const channelNames = (query.get('channels') || '').split(',').map((c) => c.trim()).filter(Boolean);
  const tableFilter = query.get('table'); // "schema.table", optional
  const rewind = query.get('rewind') || '100';

  const rows = new Map(); // row key -> { row, position, kind, channel }
  const tombstones = new Map(); // row key -> { position, moved } of the delete
  const columns = [];
  const keyColumns = new Set();
  const status = document.getElementById('status');
  const logList = document.getElementById('log');

  if (tableFilter) document.getElementById('title').textContent = tableFilter;
  if (channelNames.length === 0) {
    document.getElementById('help').hidden = false;
    status.textContent = 'no channels';
    return;
  }

  // The page's own origin is the local Ably endpoint: it serves this page and speaks ably-js's realtime protocol.
  // authUrl hands out a token, so the page never holds the API key.
  const realtime = new Ably.Realtime({
    authUrl: location.origin + '/_local/token',
    endpoint: location.hostname,
    port: Number(location.port) || (location.protocol === 'https:' ? 443 : 80),
    tls: location.protocol === 'https:',
    transports: ['web_socket'],
    disconnectedRetryTimeout: 1000,
  });

  realtime.connection.on((change) => {
    status.dataset.state = change.current;
    status.textContent = change.current + (change.reason ? ' — ' + change.reason.message : '');
  });

  for (const name of channelNames) {
    const channel = realtime.channels.get(name, { params: { rewind } });
    channel.subscribe((message) => {
      const changes = message.name === 'bundle' ? (message.data && message.data.changes) || [] : [message.data];
      for (const change of changes) apply(change, name);
      render();
    });
  }

  function comparePositions(a, b) {
    const [ar, ai] = a.split('.');
    const [br, bi] = b.split('.');
    const byRow = BigInt(ar) - BigInt(br);
    if (byRow !== 0n) return byRow < 0n ? -1 : 1;
    return Number(ai) - Number(bi);
  }

  function keyOf(change) {
    const key = change.key || change.new || change.old || {};
    return JSON.stringify(Object.keys(key).sort().map((k) => [k, key[k]]));
  }

  function apply(change, channel) {
    if (!change || typeof change !== 'object' || !change.position) return;
    if (tableFilter && change.schema + '.' + change.table !== tableFilter) return;
    const key = keyOf(change);
    const current = rows.get(key);
    const deleted = tombstones.get(key);
    const newest = current ? current.position : deleted && deleted.position;
    if (newest) {
      const order = comparePositions(change.position, newest);
      // A delete marked "moved" is what the channel a row left hears when an update moves it to another channel; the
      // update has the same position and wins, whichever of the two arrives first.
      const movedHere = order === 0 && !current && deleted.moved && !change.moved;
      if (order < 0 || (order === 0 && !movedHere)) return; // already past this change
    }

    log(change, channel);
    if (change.operation === 'delete') {
      rows.delete(key);
      tombstones.set(key, { position: change.position, moved: change.moved === true });
      return;
    }

    const row = change.new || {};
    for (const column of Object.keys(change.key || {})) keyColumns.add(column);
    for (const column of Object.keys(row)) if (!columns.includes(column)) columns.push(column);
    tombstones.delete(key);
    rows.set(key, { row, position: change.position, kind: change.operation, fresh: true });
  }

  function log(change, channel) {
    const item = document.createElement('li');
    item.className = change.operation;
    const row = change.new || change.old || {};
    item.textContent = change.position + '  ' + change.operation.padEnd(6) + ' ' + JSON.stringify(change.key || row) + '  on ' + channel;
    logList.insertBefore(item, logList.firstChild);
    while (logList.children.length > 200) logList.removeChild(logList.lastChild);
  }

  function render() {
    const head = document.querySelector('#rows thead tr');
    head.replaceChildren(...columns.map((c) => cell('th', c)), cell('th', 'last change'));
    const body = document.querySelector('#rows tbody');
    const ordered = [...rows.entries()].sort(([a], [b]) => compareKeys(JSON.parse(a), JSON.parse(b)));
    body.replaceChildren(...ordered.map(([key, entry]) => {
      const tr = document.createElement('tr');
      tr.dataset.key = key;
      for (const column of columns) {
        const value = entry.row[column];
        const text = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
        tr.appendChild(cell('td', text, keyColumns.has(column) ? 'key' : undefined));
      }
      tr.appendChild(cell('td', entry.kind + ' @ ' + entry.position, 'meta'));
      if (entry.fresh) {
        tr.className = 'changed';
        entry.fresh = false;
      }
      return tr;
    }));
    document.getElementById('empty').hidden = rows.size > 0;
  }

  function compareKeys(a, b) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const [x, y] = [a[i][1], b[i][1]];
      const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      if (order !== 0) return order;
    }
    return a.length - b.length;
  }

  function cell(tag, text, className) {
    const element = document.createElement(tag);
    element.textContent = text;
    if (className) element.className = className;
    return element;
  }
})();
