using System;
using System.Diagnostics;
using System.IO;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace AblyPgTyped.Benchmarks.Infrastructure;

/// <summary>
/// A LocalAbly started elsewhere (<c>--ably-host/--ably-port/--ably-key</c>), observed through its <c>/_local/</c>
/// endpoints: counters from <c>GET /_local/stats</c>, accepted messages and their receipt times (1 ms resolution) from
/// <c>GET /_local/watch</c>. Its plan is whatever it was started with (<c>--plan</c>), read from <c>GET /_local/limits</c>.
/// </summary>
internal sealed class RemoteEndpoint : BenchEndpoint
{
    private readonly HttpClient _http;

    private RemoteEndpoint(HttpClient http, string host, int port, string apiKey, BenchPlan plan)
    {
        _http = http;
        Host = host;
        Port = port;
        ApiKey = apiKey;
        Plan = plan;
    }

    public override string Host { get; }

    public override int Port { get; }

    public override string ApiKey { get; }

    public override BenchPlan Plan { get; }

    public override string Description => $"LocalAbly at http://{Host}:{Port}, {Plan.Name} plan, observed through /_local/ (receipt times in ms; its watch stream drops messages when it falls behind)";

    public static async Task<RemoteEndpoint> ConnectAsync(string host, int port, string apiKey)
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://{host}:{port}"), Timeout = Timeout.InfiniteTimeSpan };
        try
        {
            using var limits = JsonDocument.Parse(await http.GetStringAsync("/_local/limits"));
            return new RemoteEndpoint(http, host, port, apiKey, BenchPlan.Parse(limits.RootElement.GetProperty("plan").GetString()!));
        }
        catch
        {
            http.Dispose();
            throw;
        }
    }

    public override AcceptanceTracker Track() => new Tracker(this);

    public override IDisposable Observe(Action<ObservedMessage> onMessage)
    {
        var stop = new CancellationTokenSource();
        _ = Task.Run(() => WatchAsync((message, _, _, _) => onMessage(message), stop.Token));
        return stop;
    }

    public override async Task<EndpointCounters> CountersAsync()
    {
        using var stats = JsonDocument.Parse(await _http.GetStringAsync("/_local/stats"));
        var root = stats.RootElement;
        return new EndpointCounters(
            root.GetProperty("batchPublishRequests").GetInt64(),
            root.GetProperty("acceptedMessages").GetInt64(),
            root.GetProperty("duplicateMessages").GetInt64(),
            root.GetProperty("channelRateLimited").GetInt64(),
            root.GetProperty("accountMessageRateLimited").GetInt64() + root.GetProperty("accountRequestRateLimited").GetInt64());
    }

    public override ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Reads the watch stream; calls <paramref name="onMessage"/> with each message, its id, its size by Ably's rule and the time it was read.</summary>
    private async Task WatchAsync(Action<ObservedMessage, string, long, long> onMessage, CancellationToken stop)
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

                var read = Stopwatch.GetTimestamp();
                using var frame = JsonDocument.Parse(line.AsMemory(6));
                var message = frame.RootElement;
                if (message.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.String)
                {
                    var text = data.GetString()!;
                    var size = text.Length
                        + (message.TryGetProperty("name", out var name) ? name.GetString()!.Length : 0)
                        + (message.TryGetProperty("extras", out var extras) ? extras.GetRawText().Length : 0);
                    onMessage(
                        new ObservedMessage(message.GetProperty("channel").GetString()!, text, DateTimeOffset.FromUnixTimeMilliseconds(message.GetProperty("timestamp").GetInt64())),
                        message.GetProperty("id").GetString()!, size, read);
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

        public Tracker(RemoteEndpoint endpoint) =>
            _ = Task.Run(() => endpoint.WatchAsync((message, _, size, read) => Add(MessageChanges.Count(message.Data), size, read), _stop.Token));

        public override void Dispose()
        {
            _stop.Cancel();
            base.Dispose();
        }
    }
}
