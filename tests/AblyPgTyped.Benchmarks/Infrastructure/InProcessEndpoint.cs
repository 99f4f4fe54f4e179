using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using AblyPgTyped.LocalAbly;

namespace AblyPgTyped.Benchmarks.Infrastructure;

/// <summary>LocalAbly in this process: receipt times are the server's own (DateTimeOffset.UtcNow and Stopwatch, once per request).</summary>
internal sealed class InProcessEndpoint : BenchEndpoint
{
    private const string Key = "bench.key:bench-secret";

    private readonly LocalAblyServer _server;

    private InProcessEndpoint(LocalAblyServer server) => _server = server;

    public override string Host => "127.0.0.1";

    public override int Port => _server.Port;

    public override string ApiKey => Key;

    public override string Description =>
        $"LocalAbly in the benchmark process on {_server.BaseAddress} (HTTP/1.1, JSON, idempotency on, 64 KiB per message/spec)";

    public static async Task<InProcessEndpoint> StartAsync() =>
        new(await LocalAblyServer.StartAsync(new LocalAblyOptions
        {
            ApiKeys = { Key },

            // Unlimited: these scenarios measure the connector's own speed, as they did before the endpoint modelled
            // Ably's plans. Figures under the Standard and Pro presets are still to be added (issue 8).
            Plan = LocalAblyPlan.Unlimited,

            // A million messages must not become a million retained objects: keep little history and bound the id memory.
            MaxHistoryPerChannel = 8,
            MaxRecordedMessages = 1_000,
            MaxDedupKeysPerChannel = 200_000,
        }));

    public override AcceptanceTracker Track() => new Tracker(_server);

    public override IDisposable Observe(Action<string, DateTimeOffset> onMessage)
    {
        void Handler(IReadOnlyList<ReceivedMessage> messages)
        {
            foreach (var message in messages)
            {
                onMessage(message.DataString ?? "", message.ReceivedAt);
            }
        }

        _server.MessagesAccepted += Handler;
        return new Unsubscribe(() => _server.MessagesAccepted -= Handler);
    }

    public override Task<EndpointCounters> CountersAsync()
    {
        var stats = _server.GetStats();
        return Task.FromResult(new EndpointCounters(stats.BatchPublishRequests, stats.AcceptedMessages, stats.DuplicateMessages));
    }

    public override ValueTask DisposeAsync() => _server.DisposeAsync();

    private sealed class Tracker : AcceptanceTracker
    {
        private readonly LocalAblyServer _server;

        public Tracker(LocalAblyServer server)
        {
            _server = server;
            _server.MessagesAccepted += OnAccepted;
        }

        public override void Dispose()
        {
            _server.MessagesAccepted -= OnAccepted;
            base.Dispose();
        }

        private void OnAccepted(IReadOnlyList<ReceivedMessage> messages) =>
            Add(messages.Count, messages[^1].ReceivedAtStopwatchTimestamp);
    }

    private sealed class Unsubscribe(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
