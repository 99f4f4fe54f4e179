using System;
using System.Threading;

namespace AblyPgTyped.LocalAbly;

/// <summary>What an injected fault does to a matching request.</summary>
public enum FaultKind
{
    /// <summary>Answer with an Ably error (status + code, optional Retry-After).</summary>
    Fail,

    /// <summary>Abort the connection without sending a response.</summary>
    Drop,

    /// <summary>Delay the request before it is processed.</summary>
    Latency,
}

/// <summary>Which requests a fault applies to.</summary>
[Flags]
public enum FaultTarget
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary><c>POST /channels/{name}/messages</c>.</summary>
    ChannelPublish = 1,

    /// <summary><c>POST /messages</c>.</summary>
    BatchPublish = 2,

    /// <summary>Both publish endpoints (the default).</summary>
    Publish = ChannelPublish | BatchPublish,

    /// <summary><c>GET /channels/{name}/messages</c>.</summary>
    History = 4,

    /// <summary>Every Ably endpoint above.</summary>
    All = Publish | History,
}

/// <summary>
/// One injected fault, as returned by <see cref="FaultInjector"/>. For a batch publish, a channel-scoped
/// <see cref="FaultKind.Fail"/> fails only that channel's entry in the batch results (the request still returns 201),
/// while channel-scoped latency and drops affect the whole request when any of its channels match.
/// </summary>
public sealed class FaultRule
{
    private int _remaining;
    private int _timesApplied;

    internal FaultRule(int id, FaultKind kind, int count, FaultTarget target, string? channel)
    {
        if (count is 0 or < -1)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "count must be positive, or -1 for 'until cleared'.");
        }

        if (target == FaultTarget.None)
        {
            throw new ArgumentOutOfRangeException(nameof(target), target, "target must name at least one endpoint.");
        }

        Id = id;
        Kind = kind;
        _remaining = count;
        Target = target;
        Channel = channel;
    }

    /// <summary>Identifier, unique per server; use it with <see cref="FaultInjector.Remove(int)"/> or <c>DELETE /_local/faults/{id}</c>.</summary>
    public int Id { get; }

    /// <summary>What the fault does.</summary>
    public FaultKind Kind { get; }

    /// <summary>Which endpoints it applies to.</summary>
    public FaultTarget Target { get; }

    /// <summary>When set, only requests for this channel (or batches naming it) match.</summary>
    public string? Channel { get; }

    /// <summary>HTTP status of a <see cref="FaultKind.Fail"/> response.</summary>
    public int StatusCode { get; init; }

    /// <summary>Ably error code of a <see cref="FaultKind.Fail"/> response.</summary>
    public int ErrorCode { get; init; }

    /// <summary>Error message of a <see cref="FaultKind.Fail"/> response.</summary>
    public string Message { get; init; } = "Injected failure";

    /// <summary>Optional <c>Retry-After</c> header (whole seconds, rounded up) on a <see cref="FaultKind.Fail"/> response.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>Delay added by a <see cref="FaultKind.Latency"/> fault.</summary>
    public TimeSpan Latency { get; init; }

    /// <summary>Requests this fault will still affect; -1 means until removed or cleared, 0 means used up.</summary>
    public int Remaining => Volatile.Read(ref _remaining);

    /// <summary>How many requests this fault has affected so far.</summary>
    public int TimesApplied => Volatile.Read(ref _timesApplied);

    internal bool Matches(FaultTarget target, string? channel) =>
        (Target & target) != 0 && (Channel is null || string.Equals(Channel, channel, StringComparison.Ordinal));

    /// <summary>Claims one use; false when the rule is used up. Lock-free so concurrent requests never over-consume.</summary>
    internal bool TryConsume()
    {
        while (true)
        {
            var current = Volatile.Read(ref _remaining);
            if (current == 0)
            {
                return false;
            }

            if (current < 0 || Interlocked.CompareExchange(ref _remaining, current - 1, current) == current)
            {
                Interlocked.Increment(ref _timesApplied);
                return true;
            }
        }
    }

    internal AblyException ToException() => new(StatusCode, ErrorCode, Message, RetryAfter);
}
