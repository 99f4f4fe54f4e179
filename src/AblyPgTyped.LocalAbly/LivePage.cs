using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;

namespace AblyPgTyped.LocalAbly;

/// <summary>A tiny self-contained page that shows the live message stream and counters.</summary>
internal static class LivePage
{
    private const string Html = """
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Local Ably</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; }
  h1 { font-size: 1.3em; margin: 0 0 .3em; }
  #stats { color: #555; margin-bottom: 1em; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .25em .6em; border-bottom: 1px solid #eee; vertical-align: top; }
  td.data { font-family: ui-monospace, monospace; white-space: pre-wrap; word-break: break-all; }
  input { font: inherit; width: 22em; }
</style>
</head>
<body>
<h1>Local Ably: live messages</h1>
<p>The last 100 messages when the page opens, newest first, then each new one as it arrives.</p>
<div id="stats">loading stats…</div>
<form id="filter">Channels (comma-separated, empty = all): <input id="channels"> <button>Watch</button></form>
<p>Endpoints: <code>GET /_local/stats</code>, <code>GET /_local/limits</code>, <code>GET /_local/messages</code>, <code>GET /_local/watch?channels=a,b</code>,
<code>POST /_local/faults/{fail|drop|latency|ratelimit|clear}</code>, <code>POST /_local/reset</code>, <code>POST /_local/realtime/disconnect</code>; realtime (ably-js <code>Realtime</code>) at <code>ws://</code> this host <code>/</code>.</p>
<table><thead><tr><th>time</th><th>channel</th><th>name</th><th>id</th><th>data</th></tr></thead><tbody id="rows"></tbody></table>
<script>
  const rows = document.getElementById('rows');
  let source = null;
  function cell(tr, text, cls) { const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td); }
  function watch(channels) {
    if (source) source.close();
    rows.replaceChildren();
    // recent=100: the last 100 messages first (oldest to newest), then live ones; none is shown twice.
    source = new EventSource('/_local/watch?recent=100' + (channels ? '&channels=' + encodeURIComponent(channels) : ''));
    const seen = new Set(); // EventSource reconnects replay the recent messages again
    source.addEventListener('message', e => {
      if (seen.has(e.lastEventId)) return;
      seen.add(e.lastEventId);
      const m = JSON.parse(e.data);
      const data = m.encoding ? `${m.data} (${m.encoding})` : m.data;
      const tr = document.createElement('tr');
      cell(tr, new Date(m.timestamp).toISOString().substring(11, 23));
      cell(tr, m.channel); cell(tr, m.name ?? ''); cell(tr, m.id); cell(tr, data ?? '', 'data');
      rows.insertBefore(tr, rows.firstChild);
      while (rows.children.length > 500) rows.removeChild(rows.lastChild);
    });
  }
  document.getElementById('filter').addEventListener('submit', e => { e.preventDefault(); watch(document.getElementById('channels').value.trim()); });
  async function stats() {
    try {
      const s = await (await fetch('/_local/stats')).json();
      document.getElementById('stats').textContent =
        `publish requests ${s.publishRequests} · accepted ${s.acceptedMessages} · duplicates ${s.duplicateMessages} · rejected requests ${s.rejectedRequests} · rate limited ${s.rateLimitedRequests} requests, ${s.channelRateLimited} channel refusals · channels ${Object.keys(s.channels).length} · plan ${s.limits.plan}`;
    } catch (_) { document.getElementById('stats').textContent = 'server unreachable'; }
  }
  watch(''); stats(); setInterval(stats, 2000);
</script>
</body>
</html>
""";

    public static Task WriteAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync(Html, context.RequestAborted);
    }
}
