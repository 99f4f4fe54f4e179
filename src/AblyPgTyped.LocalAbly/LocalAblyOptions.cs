using System;
using System.Collections.Generic;

namespace AblyPgTyped.LocalAbly;

/// <summary>
/// Settings of a <see cref="LocalAblyServer"/>. Defaults mirror Ably's documented limits where one exists
/// (the limits of the Standard plan; see <see cref="Plan"/>).
/// </summary>
public sealed class LocalAblyOptions
{
    private List<string> _apiKeys = new();
    private Dictionary<string, string> _servedFolders = new(StringComparer.Ordinal);

    /// <summary>TCP port on 127.0.0.1. 0 (the default) picks a free port; read it back from <see cref="LocalAblyServer.BaseAddress"/>.</summary>
    public int Port { get; set; }

    /// <summary>
    /// Accepted API keys, each in Ably's full form <c>keyName:keySecret</c>.
    /// When the list is empty, authentication is not checked at all.
    /// </summary>
    public IList<string> ApiKeys => _apiKeys;

    /// <summary>
    /// The Ably plan whose limits are enforced: per-channel and account-wide message rates, the account's publish
    /// request rate and the message size (see <see cref="LocalAblyLimits.ForPlan"/>). Default
    /// <see cref="LocalAblyPlan.Standard"/>, so code developed locally meets Ably's real limits;
    /// <see cref="LocalAblyPlan.Unlimited"/> turns the rate limits off (benchmarks, bulk tests).
    /// </summary>
    public LocalAblyPlan Plan { get; set; } = LocalAblyPlan.Standard;

    /// <summary>
    /// Messages per second per channel (429 / 42913 beyond it). Null (the default): the plan's, 50 on every plan.
    /// <see cref="double.PositiveInfinity"/>: no per-channel limit. Can be overridden at run time with <see cref="FaultInjector.SetRateLimit"/>.
    /// </summary>
    public double? ChannelMessagesPerSecond { get; set; }

    /// <summary>
    /// Messages per second across all channels (429 / 42917 beyond it). Null (the default): the plan's.
    /// <see cref="double.PositiveInfinity"/>: no account message limit.
    /// </summary>
    public double? AccountMessagesPerSecond { get; set; }

    /// <summary>
    /// Publish requests (channel and batch) per second (429 / 42918 beyond it). Null (the default): the plan's.
    /// <see cref="double.PositiveInfinity"/>: no request limit.
    /// </summary>
    public double? AccountRequestsPerSecond { get; set; }

    /// <summary>
    /// Largest combined size (Ably's TM6 rule) of the messages of one publish, or of one batch spec.
    /// Null (the default): the plan's, 65536 (256 KiB on <see cref="LocalAblyPlan.Pro"/>).
    /// </summary>
    public int? MaxMessageSize { get; set; }

    /// <summary>How long an accepted message id (or multi-message id base) is remembered for de-duplication. Default 2 minutes.</summary>
    public TimeSpan DedupWindow { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Upper bound on remembered idempotency keys per channel, so a long benchmark cannot grow memory without limit.
    /// When reached, the oldest keys are forgotten early. Default 1,000,000.
    /// </summary>
    public int MaxDedupKeysPerChannel { get; set; } = 1_000_000;

    /// <summary>Messages kept per channel for history and observation (older ones are evicted). Default 10,000.</summary>
    public int MaxHistoryPerChannel { get; set; } = 10_000;

    /// <summary>Messages kept in the cross-channel log behind <see cref="LocalAblyServer.GetMessages()"/>. Default 200,000.</summary>
    public int MaxRecordedMessages { get; set; } = 200_000;

    /// <summary>Largest accepted request body in bytes. Default 2 MiB - 1 (Ably requires batch bodies to be smaller than 2 MiB).</summary>
    public int MaxRequestBodySize { get; set; } = (2 * 1024 * 1024) - 1;

    /// <summary>Most channels in one batch spec. Default 100.</summary>
    public int MaxBatchChannels { get; set; } = 100;

    /// <summary>Most messages in one batch spec. Default 1000.</summary>
    public int MaxBatchMessages { get; set; } = 1000;

    /// <summary>
    /// Alias of <see cref="ChannelMessagesPerSecond"/>, kept for existing callers. Null now means the plan's rate
    /// (50/s), not unlimited: use <see cref="double.PositiveInfinity"/> or <see cref="LocalAblyPlan.Unlimited"/> for no limit.
    /// </summary>
    public double? RateLimitPerChannel
    {
        get => ChannelMessagesPerSecond;
        set => ChannelMessagesPerSecond = value;
    }

    /// <summary>Interval of <c>:keepalive</c> comments on SSE streams. Default 15 seconds.</summary>
    public TimeSpan SseKeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How often a realtime connection hears from the server at least (a HEARTBEAT when nothing else was sent), advertised
    /// as <c>maxIdleInterval</c> in CONNECTED. Default 15 seconds, as Ably. A client may ask for another interval with the
    /// <c>heartbeatInterval</c> transport param (milliseconds, 100 ms to 30 minutes here).
    /// </summary>
    public TimeSpan RealtimeHeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long a dropped realtime connection can be resumed (<c>connectionStateTtl</c> in CONNECTED). Default 2 minutes, as Ably.
    /// </summary>
    public TimeSpan ConnectionStateTtl { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Folders served read-only (GET, loopback only) under <c>/_local/{name}/</c>, by name: for example
    /// <c>ServedFolders["live-table"] = "samples/LiveTable"</c> serves that sample page, with its <c>node_modules</c>,
    /// from the endpoint itself. <c>index.html</c> answers for the folder.
    /// </summary>
    public IDictionary<string, string> ServedFolders => _servedFolders;

    /// <summary>Messages buffered per live watcher (SSE stream or <see cref="LocalAblyServer.WatchAsync"/>); the oldest are dropped for a slow watcher. Default 10,000.</summary>
    public int WatcherBufferSize { get; set; } = 10_000;

    /// <summary>Optional sink for diagnostic lines (start-up, injected faults, one line per request when <see cref="LogRequests"/>). Secrets are never passed to it.</summary>
    public Action<string>? Log { get; set; }

    /// <summary>When true, <see cref="Log"/> receives one line per HTTP request. Default false (it costs throughput).</summary>
    public bool LogRequests { get; set; }

    /// <summary>A copy, so changes made by the caller after start-up cannot reach a running server.</summary>
    internal LocalAblyOptions Clone()
    {
        var copy = (LocalAblyOptions)MemberwiseClone();
        var keys = new List<string>(ApiKeys);
        copy._apiKeys = keys;
        copy._servedFolders = new Dictionary<string, string>(_servedFolders, StringComparer.Ordinal);
        return copy;
    }

    /// <summary>The plan's limits with this object's overrides applied.</summary>
    internal LocalAblyLimits ResolveLimits()
    {
        var plan = LocalAblyLimits.ForPlan(Plan);
        return new LocalAblyLimits(
            Override(ChannelMessagesPerSecond, plan.ChannelMessagesPerSecond),
            Override(AccountMessagesPerSecond, plan.AccountMessagesPerSecond),
            Override(AccountRequestsPerSecond, plan.AccountRequestsPerSecond),
            MaxMessageSize ?? plan.MaxMessageSize);
    }

    internal void Validate()
    {
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(Port), Port, "Port must be between 0 and 65535.");
        }

        foreach (var key in ApiKeys)
        {
            var colon = key?.IndexOf(':', StringComparison.Ordinal) ?? -1;
            if (colon <= 0 || colon == key!.Length - 1)
            {
                throw new ArgumentException("Every API key must have the form keyName:keySecret.", nameof(ApiKeys));
            }
        }

        if (!Enum.IsDefined(Plan))
        {
            throw new ArgumentOutOfRangeException(nameof(Plan), Plan, "Unknown plan.");
        }

        if (MaxMessageSize is { } maxMessageSize)
        {
            RequirePositive(maxMessageSize, nameof(MaxMessageSize));
        }

        RequirePositiveRate(ChannelMessagesPerSecond, nameof(ChannelMessagesPerSecond));
        RequirePositiveRate(AccountMessagesPerSecond, nameof(AccountMessagesPerSecond));
        RequirePositiveRate(AccountRequestsPerSecond, nameof(AccountRequestsPerSecond));
        RequirePositive(MaxDedupKeysPerChannel, nameof(MaxDedupKeysPerChannel));
        RequirePositive(MaxHistoryPerChannel, nameof(MaxHistoryPerChannel));
        RequirePositive(MaxRecordedMessages, nameof(MaxRecordedMessages));
        RequirePositive(MaxRequestBodySize, nameof(MaxRequestBodySize));
        RequirePositive(MaxBatchChannels, nameof(MaxBatchChannels));
        RequirePositive(MaxBatchMessages, nameof(MaxBatchMessages));
        RequirePositive(WatcherBufferSize, nameof(WatcherBufferSize));
        if (DedupWindow < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(DedupWindow), DedupWindow, "DedupWindow must not be negative.");
        }

        if (RealtimeHeartbeatInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(RealtimeHeartbeatInterval), RealtimeHeartbeatInterval, "RealtimeHeartbeatInterval must be positive.");
        }

        if (ConnectionStateTtl < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ConnectionStateTtl), ConnectionStateTtl, "ConnectionStateTtl must not be negative.");
        }

        foreach (var folder in _servedFolders)
        {
            if (folder.Key.Length == 0 || folder.Key.AsSpan().IndexOfAny('/', '\\') >= 0 || folder.Key is "." or "..")
            {
                throw new ArgumentException("ServedFolders names must be a single path segment, like \"live-table\" (got \"" + folder.Key + "\").", nameof(ServedFolders));
            }

            if (!System.IO.Directory.Exists(folder.Value))
            {
                throw new ArgumentException("ServedFolders[\"" + folder.Key + "\"]: the folder " + folder.Value + " does not exist.", nameof(ServedFolders));
            }
        }

        if (SseKeepAliveInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(SseKeepAliveInterval), SseKeepAliveInterval, "SseKeepAliveInterval must be positive.");
        }
    }

    // Infinity is the explicit "no limit", so a null can keep meaning "the plan's".
    private static double? Override(double? value, double? planValue) =>
        value is { } rate ? (double.IsPositiveInfinity(rate) ? null : rate) : planValue;

    private static void RequirePositiveRate(double? value, string name)
    {
        if (value is { } rate && !(rate > 0))
        {
            throw new ArgumentOutOfRangeException(name, rate, name + " must be positive (PositiveInfinity for no limit), or null for the plan's.");
        }
    }

    private static void RequirePositive(int value, string name)
    {
        if (value <= 0)
        {
            throw new ArgumentOutOfRangeException(name, value, name + " must be positive.");
        }
    }
}
