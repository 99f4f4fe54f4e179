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

    private readonly TimeSpan _delay;

    private InProcessEndpoint(LocalAblyServer server, BenchPlan plan, TimeSpan delay)
    {
        _server = server;
        Plan = plan;
        _delay = delay;
    }

    public override BenchPlan Plan { get; }

    public override string Host => "127.0.0.1";

    public override int Port => _server.Port;

    public override string ApiKey => Key;

    public override string Description =>
        $"LocalAbly in the benchmark process on {_server.BaseAddress}, {Plan.Name} plan ({_server.Limits})" +
        (_delay > TimeSpan.Zero ? $", every publish request delayed {_delay.TotalMilliseconds:0} ms" : "");

    /// <summary>
    /// A LocalAbly server enforcing <paramref name="plan"/>'s limits (HTTP/1.1, JSON, idempotency on), delaying each
    /// publish request by <paramref name="delay"/> (none when zero).
    /// </summary>
    public static async Task<InProcessEndpoint> StartAsync(BenchPlan plan, TimeSpan delay)
    {
        var server = await LocalAblyServer.StartAsync(new LocalAblyOptions
        {
            ApiKeys = { Key },
            Plan = plan.EndpointPlan,

            // A million messages must not become a million retained objects: keep little history and bound the id memory.
            MaxHistoryPerChannel = 8,
            MaxRecordedMessages = 1_000,
            MaxDedupKeysPerChannel = 200_000,
        });
        if (delay > TimeSpan.Zero)
        {
            server.Faults.AddLatency(delay);
        }

        return new(server, plan, delay);
    }

    public override AcceptanceTracker Track() => new Tracker(_server);

    public override IDisposable Observe(Action<ObservedMessage> onMessage)
    {
        void Handler(IReadOnlyList<ReceivedMessage> messages)
        {
            foreach (var message in messages)
            {
                onMessage(new ObservedMessage(message.Channel, message.DataString ?? "", message.ReceivedAt));
            }
        }

        _server.MessagesAccepted += Handler;
        return new Unsubscribe(() => _server.MessagesAccepted -= Handler);
    }

    public override Task<EndpointCounters> CountersAsync()
    {
        var stats = _server.GetStats();
        return Task.FromResult(new EndpointCounters(stats.BatchPublishRequests, stats.AcceptedMessages, stats.DuplicateMessages,
            stats.ChannelRateLimited, stats.AccountMessageRateLimited + stats.AccountRequestRateLimited));
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

        private void OnAccepted(IReadOnlyList<ReceivedMessage> messages)
        {
            long changes = 0, bytes = 0;
            foreach (var message in messages)
            {
                changes += MessageChanges.Count(message.DataJson);
                bytes += message.Size;
            }

            Add(changes, bytes, messages[^1].ReceivedAtStopwatchTimestamp);
        }
    }

    private sealed class Unsubscribe(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
