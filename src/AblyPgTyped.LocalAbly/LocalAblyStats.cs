using System;
using System.Collections.Generic;

namespace AblyPgTyped.LocalAbly;

/// <summary>A snapshot of the server's counters (uncapped, since start or the last reset). Also served as <c>GET /_local/stats</c>.</summary>
public sealed class LocalAblyStats
{
    /// <summary>When the server started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>Publish requests received on either endpoint (including rejected ones).</summary>
    public long PublishRequests { get; init; }

    /// <summary>Requests to <c>POST /channels/{name}/messages</c>.</summary>
    public long ChannelPublishRequests { get; init; }

    /// <summary>Requests to <c>POST /messages</c>.</summary>
    public long BatchPublishRequests { get; init; }

    /// <summary>Messages stored (per channel, so a batch message sent to 3 channels counts 3 times).</summary>
    public long AcceptedMessages { get; init; }

    /// <summary>Messages dropped silently because their id was seen within the dedup window.</summary>
    public long DuplicateMessages { get; init; }

    /// <summary>Publish requests answered with an error status (including injected failures, auth and validation errors).</summary>
    public long RejectedRequests { get; init; }

    /// <summary>Messages not stored because their request or batch entry failed.</summary>
    public long RejectedMessages { get; init; }

    /// <summary>Failed per-channel entries inside otherwise successful batch responses (including channels refused by their rate limit).</summary>
    public long BatchChannelFailures { get; init; }

    /// <summary>
    /// Publish requests answered 429 as a whole by the rate model: 42918 (account request rate), 42917 (account
    /// message rate), and 42913 on a channel publish. Batch entries refused for their channel's rate are not requests;
    /// see <see cref="ChannelRateLimited"/>.
    /// </summary>
    public long RateLimitedRequests { get; init; }

    /// <summary>Refusals for a channel's message rate (42913): channel publishes plus refused batch entries.</summary>
    public long ChannelRateLimited { get; init; }

    /// <summary>Requests refused for the account's message rate (42917).</summary>
    public long AccountMessageRateLimited { get; init; }

    /// <summary>Requests refused for the account's publish request rate (42918).</summary>
    public long AccountRequestRateLimited { get; init; }

    /// <summary>Requests (or batch entries) failed by fault injection.</summary>
    public long InjectedFailures { get; init; }

    /// <summary>Connections aborted by fault injection.</summary>
    public long DroppedConnections { get; init; }

    /// <summary>Requests delayed by fault injection.</summary>
    public long DelayedRequests { get; init; }

    /// <summary>History requests.</summary>
    public long HistoryRequests { get; init; }

    /// <summary>Requests refused for missing or wrong credentials.</summary>
    public long AuthFailures { get; init; }

    /// <summary>SSE streams open right now.</summary>
    public long OpenSseConnections { get; init; }

    /// <summary>Realtime (WebSocket) connections open right now.</summary>
    public long OpenRealtimeConnections { get; init; }

    /// <summary>Realtime connections accepted (authenticated) since start or reset.</summary>
    public long RealtimeConnectionsAccepted { get; init; }

    /// <summary>Messages delivered to realtime subscribers (once per subscriber). Realtime delivery is not rate limited.</summary>
    public long RealtimeMessagesSent { get; init; }

    /// <summary>Per-channel counters, by channel name.</summary>
    public IReadOnlyDictionary<string, ChannelStats> Channels { get; init; } = new Dictionary<string, ChannelStats>();
}

/// <summary>Counters of one channel.</summary>
public sealed class ChannelStats
{
    /// <summary>Channel name.</summary>
    public string Channel { get; init; } = string.Empty;

    /// <summary>Publish requests (or batch entries) that reached this channel's store.</summary>
    public long PublishRequests { get; init; }

    /// <summary>Messages stored.</summary>
    public long AcceptedMessages { get; init; }

    /// <summary>Messages dropped as duplicates.</summary>
    public long DuplicateMessages { get; init; }

    /// <summary>Messages refused (rate limits, injected channel failure, errors after the channel was known).</summary>
    public long RejectedMessages { get; init; }

    /// <summary>Messages currently kept in history (capped by <see cref="LocalAblyOptions.MaxHistoryPerChannel"/>).</summary>
    public int RetainedMessages { get; init; }
}
