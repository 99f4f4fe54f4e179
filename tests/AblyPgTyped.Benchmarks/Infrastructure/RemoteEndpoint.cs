using System;
using System.Diagnostics;
using System.IO;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace AblyPgTyped.Benchmarks.Infrastructure;

/// <summary>
/// A LocalAbly started elsewhere (<c>--ably-host/--ably-port/--ably-key</c>). Counts come from polling
/// <c>GET /_local/stats</c> (10 ms resolution); message receipt times from <c>GET /_local/watch</c> (1 ms resolution).
/// </summary>
internal sealed class RemoteEndpoint(string host, int port, string apiKey) : BenchEndpoint
{
    private readonly HttpClient _http = new() { BaseAddress = new Uri($"http://{host}:{port}"), Timeout = Timeout.InfiniteTimeSpan };

    public override string Host => host;

    public override int Port => port;

    public override string ApiKey => apiKey;

    public override string Description => $"LocalAbly at http://{host}:{port}, observed through /_local/ (counts every 10 ms, receipt times in ms)";

    public override AcceptanceTracker Track() => new Tracker(this);

    public override IDisposable Observe(Action<string, DateTimeOffset> onMessage)
    {
        var stop = new CancellationTokenSource();
        _ = Task.Run(() => WatchAsync(onMessage, stop.Token));
        return stop;
    }

    public override async Task<EndpointCounters> CountersAsync()
    {
        using var stats = JsonDocument.Parse(await _http.GetStringAsync("/_local/stats"));
        var root = stats.RootElement;
        return new EndpointCounters(
            root.GetProperty("batchPublishRequests").GetInt64(),
            root.GetProperty("acceptedMessages").GetInt64(),
            root.GetProperty("duplicateMessages").GetInt64());
    }

    public override ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task WatchAsync(Action<string, DateTimeOffset> onMessage, CancellationToken stop)
    {
        try
        {
            using var response = await _http.GetAsync("/_local/watch", HttpCompletionOption.ResponseHeadersRead, stop);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop));
            while (await reader.ReadLineAsync(stop) is { } line)
            {
                if (!line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    continue;
                }

                using var frame = JsonDocument.Parse(line.AsMemory(6));
                var message = frame.RootElement;
                if (message.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.String)
                {
                    onMessage(data.GetString()!, DateTimeOffset.FromUnixTimeMilliseconds(message.GetProperty("timestamp").GetInt64()));
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private sealed class Tracker : AcceptanceTracker
    {
        private readonly CancellationTokenSource _stop = new();

        public Tracker(RemoteEndpoint endpoint) => _ = Task.Run(() => PollAsync(endpoint, _stop.Token));

        public override void Dispose()
        {
            _stop.Cancel();
            base.Dispose();
        }

        private async Task PollAsync(RemoteEndpoint endpoint, CancellationToken stop)
        {
            try
            {
                var start = (await endpoint.CountersAsync()).AcceptedMessages;
                var seen = 0L;
                while (!stop.IsCancellationRequested)
                {
                    var now = (await endpoint.CountersAsync()).AcceptedMessages - start;
                    Add(now - seen, Stopwatch.GetTimestamp());
                    seen = Math.Max(seen, now);
                    await Task.Delay(10, stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }
    }
}
