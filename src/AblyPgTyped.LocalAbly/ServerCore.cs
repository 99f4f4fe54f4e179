using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;

namespace AblyPgTyped.LocalAbly;

/// <summary>The server's shared state, independent of hosting: stores, counters, faults, watchers and waiters.</summary>
internal sealed class ServerCore
{
    private long _globalSequence;

    public ServerCore(LocalAblyOptions options)
    {
        Options = options;
        Channels = new ChannelStore(options);
        Recorded = new MessageLog(options.MaxRecordedMessages);
        Faults = new FaultInjector(options.Log);
        var limits = options.ResolveLimits();
        MaxMessageSize = limits.MaxMessageSize;
        Rates = new RateLimiter(limits, Faults, Counters);
        Tokens = new LocalTokens();
        Auth = new Authenticator(options.ApiKeys, Tokens);
        Realtime = new RealtimeHub(options);
        StartedAt = DateTimeOffset.UtcNow;
    }

    public LocalAblyOptions Options { get; }

    public DateTimeOffset StartedAt { get; }

    public ChannelStore Channels { get; }

    public MessageLog Recorded { get; }

    public ServerCounters Counters { get; } = new();

    public FaultInjector Faults { get; }

    public RateLimiter Rates { get; }

    /// <summary>The message size limit in force (the option, or the plan's).</summary>
    public int MaxMessageSize { get; }

    public Authenticator Auth { get; }

    /// <summary>Tokens handed out by <c>GET /_local/token</c> (for browser pages: no API key in the page).</summary>
    public LocalTokens Tokens { get; }

    /// <summary>Realtime sessions, connections and channel attachments.</summary>
    public RealtimeHub Realtime { get; }

    public WatchHub Watchers { get; } = new();

    public MessageSignal Signal { get; } = new();

    /// <summary>Cancelled when the server stops, ending SSE streams.</summary>
    public CancellationTokenSource Stopping { get; } = new();

    /// <summary>Field-like event: subscription is thread-safe.</summary>
    public event Action<IReadOnlyList<ReceivedMessage>>? Accepted;

    /// <summary>Reserves <paramref name="count"/> global sequence numbers; returns the value before the first one.</summary>
    public long ReserveGlobalSequence(int count) => Interlocked.Add(ref _globalSequence, count) - count;

    /// <summary>Counts, fans out and signals the messages one channel accepted.</summary>
    public void OnAccepted(in ChannelPublishResult result)
    {
        if (result.Duplicates > 0)
        {
            ServerCounters.Add(ref Counters.DuplicateMessages, result.Duplicates);
        }

        var accepted = result.Accepted;
        if (accepted.Length == 0)
        {
            return;
        }

        ServerCounters.Add(ref Counters.AcceptedMessages, accepted.Length);
        Watchers.Publish(accepted);
        Realtime.Notify(accepted[0].Channel);
        var handler = Accepted;
        if (handler is not null)
        {
            try
            {
                handler(accepted);
            }
            catch (Exception ex)
            {
                // A faulty observer must not turn a good publish into an error.
                Options.Log?.Invoke("MessagesAccepted handler threw: " + ex.GetType().Name + ": " + ex.Message);
            }
        }

        Signal.Pulse();
    }

    /// <summary>
    /// Applies injected latency, drops and failures. Returns false when the connection was dropped (nothing more may be written).
    /// </summary>
    public async Task<(bool Proceed, Dictionary<string, FaultRule>? ChannelFailures)> ApplyFaultsAsync(HttpContext context, FaultTarget target, IReadOnlyCollection<string> channels)
    {
        var decision = Faults.Evaluate(target, channels);
        if (decision.Latency > TimeSpan.Zero)
        {
            ServerCounters.Increment(ref Counters.DelayedRequests);
            await Task.Delay(decision.Latency, context.RequestAborted).ConfigureAwait(false);
        }

        if (decision.Outcome is { } rule)
        {
            if (rule.Kind == FaultKind.Drop)
            {
                ServerCounters.Increment(ref Counters.DroppedConnections);
                context.Abort();
                return (false, null);
            }

            ServerCounters.Increment(ref Counters.InjectedFailures);
            throw rule.ToException();
        }

        return (true, decision.ChannelFailures);
    }

    public LocalAblyStats GetStats()
    {
        var channels = new Dictionary<string, ChannelStats>(StringComparer.Ordinal);
        foreach (var state in Channels.All())
        {
            channels[state.Name] = new ChannelStats
            {
                Channel = state.Name,
                PublishRequests = state.PublishRequestCount,
                AcceptedMessages = state.AcceptedCount,
                DuplicateMessages = state.DuplicateCount,
                RejectedMessages = state.RejectedCount,
                RetainedMessages = state.RetainedCount,
            };
        }

        var c = Counters;
        return new LocalAblyStats
        {
            StartedAt = StartedAt,
            PublishRequests = ServerCounters.Read(ref c.PublishRequests),
            ChannelPublishRequests = ServerCounters.Read(ref c.ChannelPublishRequests),
            BatchPublishRequests = ServerCounters.Read(ref c.BatchPublishRequests),
            AcceptedMessages = ServerCounters.Read(ref c.AcceptedMessages),
            DuplicateMessages = ServerCounters.Read(ref c.DuplicateMessages),
            RejectedRequests = ServerCounters.Read(ref c.RejectedRequests),
            RejectedMessages = ServerCounters.Read(ref c.RejectedMessages),
            BatchChannelFailures = ServerCounters.Read(ref c.BatchChannelFailures),
            InjectedFailures = ServerCounters.Read(ref c.InjectedFailures),
            DroppedConnections = ServerCounters.Read(ref c.DroppedConnections),
            DelayedRequests = ServerCounters.Read(ref c.DelayedRequests),
            HistoryRequests = ServerCounters.Read(ref c.HistoryRequests),
            AuthFailures = ServerCounters.Read(ref c.AuthFailures),
            OpenSseConnections = ServerCounters.Read(ref c.SseConnections),
            OpenRealtimeConnections = Realtime.OpenConnections,
            RealtimeConnectionsAccepted = ServerCounters.Read(ref c.RealtimeConnectionsAccepted),
            RealtimeMessagesSent = ServerCounters.Read(ref c.RealtimeMessagesSent),
            RateLimitedRequests = ServerCounters.Read(ref c.RateLimitedRequests),
            ChannelRateLimited = ServerCounters.Read(ref c.ChannelRateLimited),
            AccountMessageRateLimited = ServerCounters.Read(ref c.AccountMessageRateLimited),
            AccountRequestRateLimited = ServerCounters.Read(ref c.AccountRequestRateLimited),
            Channels = channels,
        };
    }

    /// <summary>Forgets messages, channels, idempotency keys and counters, and fills the rate buckets (faults are kept; clear them separately).</summary>
    public void Reset()
    {
        Channels.Clear();
        Rates.Reset();
        Recorded.Clear();
        Counters.Reset();
        Signal.Pulse();
    }
}
