using System;
using System.Collections.Generic;
using System.Threading;

namespace AblyPgTyped.LocalAbly;

/// <summary>
/// Failure injection for tests: error responses, dropped connections, added latency and a run-time override of the
/// per-channel rate limit.
/// Thread-safe; also driven over HTTP under <c>/_local/faults</c>.
/// </summary>
public sealed class FaultInjector
{
    private readonly object _gate = new();
    private readonly Action<string>? _log;
    private FaultRule[] _rules = Array.Empty<FaultRule>();
    private int _nextId;
    private double _rateLimit;

    internal FaultInjector(Action<string>? log) => _log = log;

    /// <summary>Active rules, oldest first (used-up rules are removed automatically).</summary>
    public IReadOnlyList<FaultRule> Rules => Volatile.Read(ref _rules);

    /// <summary>
    /// The run-time override of the per-channel rate set with <see cref="SetRateLimit"/> (messages per second;
    /// <see cref="double.PositiveInfinity"/> = no limit), or null when there is none and the start-up limit applies.
    /// The rate in force is <see cref="LocalAblyServer.Limits"/>.
    /// </summary>
    public double? RateLimitPerChannel
    {
        get
        {
            var value = Volatile.Read(ref _rateLimit);
            return value > 0 ? value : null;
        }
    }

    /// <summary>Fails the next <paramref name="count"/> matching requests with the given HTTP status and Ably error code.</summary>
    /// <param name="count">Number of requests to fail; -1 fails all of them until cleared.</param>
    /// <param name="statusCode">HTTP status, e.g. 500, 503, 429, 400, 401.</param>
    /// <param name="errorCode">Ably error code, e.g. 50000, 50003, 42913, 40001, 40101.</param>
    /// <param name="message">Error message; a default naming the fault is used when null.</param>
    /// <param name="retryAfter">Optional <c>Retry-After</c> header value.</param>
    /// <param name="channel">Only requests for this channel (or batch entries for it) are affected when set.</param>
    /// <param name="target">Endpoints affected; publish endpoints by default.</param>
    public FaultRule FailNext(int count, int statusCode = 500, int errorCode = 50000, string? message = null, TimeSpan? retryAfter = null, string? channel = null, FaultTarget target = FaultTarget.Publish)
    {
        if (statusCode is < 400 or > 599)
        {
            throw new ArgumentOutOfRangeException(nameof(statusCode), statusCode, "An injected failure needs a 4xx or 5xx status.");
        }

        return Add(new FaultRule(NextId(), FaultKind.Fail, count, target, channel)
        {
            StatusCode = statusCode,
            ErrorCode = errorCode,
            Message = message ?? "Injected failure " + errorCode.ToString(System.Globalization.CultureInfo.InvariantCulture) + " (local Ably fault injection)",
            RetryAfter = retryAfter,
        });
    }

    /// <summary>Fails every matching request until the rule is removed or <see cref="Clear"/> is called.</summary>
    public FaultRule FailAll(int statusCode = 500, int errorCode = 50000, string? message = null, TimeSpan? retryAfter = null, string? channel = null, FaultTarget target = FaultTarget.Publish) =>
        FailNext(-1, statusCode, errorCode, message, retryAfter, channel, target);

    /// <summary>Aborts the connection of the next <paramref name="count"/> matching requests (-1: all, until cleared) without a response.</summary>
    public FaultRule DropNext(int count, string? channel = null, FaultTarget target = FaultTarget.Publish) =>
        Add(new FaultRule(NextId(), FaultKind.Drop, count, target, channel));

    /// <summary>Aborts every matching request until cleared.</summary>
    public FaultRule DropAll(string? channel = null, FaultTarget target = FaultTarget.Publish) => DropNext(-1, channel, target);

    /// <summary>Delays matching requests by <paramref name="latency"/>; <paramref name="count"/> -1 (default) means until cleared.</summary>
    public FaultRule AddLatency(TimeSpan latency, int count = -1, string? channel = null, FaultTarget target = FaultTarget.Publish)
    {
        if (latency < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(latency), latency, "latency must not be negative.");
        }

        return Add(new FaultRule(NextId(), FaultKind.Latency, count, target, channel) { Latency = latency });
    }

    /// <summary>
    /// Overrides the per-channel publish rate (messages per second; exceeding it yields 429 / 42913), or with null
    /// removes the override so the start-up rate applies again (<see cref="LocalAblyOptions.ChannelMessagesPerSecond"/>
    /// or the plan's). <see cref="double.PositiveInfinity"/> removes the per-channel limit. Every channel's bucket starts
    /// full at the new rate.
    /// </summary>
    public void SetRateLimit(double? messagesPerSecondPerChannel)
    {
        if (messagesPerSecondPerChannel is { } rate && !(rate > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(messagesPerSecondPerChannel), rate, "The rate must be positive (PositiveInfinity for no limit), or null to remove the override.");
        }

        Volatile.Write(ref _rateLimit, messagesPerSecondPerChannel ?? 0);
        _log?.Invoke(messagesPerSecondPerChannel is { } r ? "fault: per-channel rate limit " + r.ToString(System.Globalization.CultureInfo.InvariantCulture) + " msg/s" : "fault: per-channel rate override removed");
    }

    /// <summary>Removes one rule; false when it was not active.</summary>
    public bool Remove(FaultRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return Remove(rule.Id);
    }

    /// <summary>Removes the rule with this id; false when none was active.</summary>
    public bool Remove(int id)
    {
        lock (_gate)
        {
            var current = _rules;
            var index = Array.FindIndex(current, r => r.Id == id);
            if (index < 0)
            {
                return false;
            }

            var next = new FaultRule[current.Length - 1];
            Array.Copy(current, 0, next, 0, index);
            Array.Copy(current, index + 1, next, index, current.Length - index - 1);
            Volatile.Write(ref _rules, next);
            return true;
        }
    }

    /// <summary>Removes every rule and the per-channel rate override (the start-up limits stay).</summary>
    public void Clear()
    {
        lock (_gate)
        {
            Volatile.Write(ref _rules, Array.Empty<FaultRule>());
        }

        Volatile.Write(ref _rateLimit, 0);
        _log?.Invoke("fault: all faults cleared");
    }

    /// <summary>Decides what happens to one request. <paramref name="channels"/> is the single channel, the batch's channels, or empty.</summary>
    internal FaultDecision Evaluate(FaultTarget target, IReadOnlyCollection<string> channels)
    {
        var rules = Volatile.Read(ref _rules);
        if (rules.Length == 0)
        {
            return default;
        }

        var latency = TimeSpan.Zero;
        FaultRule? outcome = null;
        Dictionary<string, FaultRule>? channelFailures = null;
        var anyUsedUp = false;

        foreach (var rule in rules)
        {
            if (rule.Kind == FaultKind.Latency && AppliesToRequest(rule, target, channels) && rule.TryConsume())
            {
                latency += rule.Latency;
                anyUsedUp |= rule.Remaining == 0;
            }
        }

        foreach (var rule in rules)
        {
            // A channel-scoped failure inside a batch fails just that channel's result, handled below.
            var perChannelInBatch = rule.Kind == FaultKind.Fail && rule.Channel is not null && target == FaultTarget.BatchPublish;
            if (rule.Kind != FaultKind.Latency && !perChannelInBatch && AppliesToRequest(rule, target, channels) && rule.TryConsume())
            {
                outcome = rule;
                anyUsedUp |= rule.Remaining == 0;
                break;
            }
        }

        if (outcome is null && target == FaultTarget.BatchPublish)
        {
            foreach (var rule in rules)
            {
                if (rule.Kind == FaultKind.Fail && rule.Channel is not null && (rule.Target & target) != 0
                    && Contains(channels, rule.Channel) && !(channelFailures?.ContainsKey(rule.Channel) ?? false) && rule.TryConsume())
                {
                    channelFailures ??= new Dictionary<string, FaultRule>(StringComparer.Ordinal);
                    channelFailures[rule.Channel] = rule;
                    anyUsedUp |= rule.Remaining == 0;
                }
            }
        }

        if (anyUsedUp)
        {
            RemoveUsedUp();
        }

        if (_log is not null && (outcome is not null || channelFailures is not null || latency > TimeSpan.Zero))
        {
            _log("fault: " + Describe(outcome, channelFailures, latency) + " on " + target);
        }

        return new FaultDecision(latency, outcome, channelFailures);
    }

    private static bool AppliesToRequest(FaultRule rule, FaultTarget target, IReadOnlyCollection<string> channels) =>
        (rule.Target & target) != 0 && (rule.Channel is null || Contains(channels, rule.Channel));

    private static bool Contains(IReadOnlyCollection<string> channels, string channel)
    {
        foreach (var candidate in channels)
        {
            if (string.Equals(candidate, channel, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static string Describe(FaultRule? outcome, Dictionary<string, FaultRule>? channelFailures, TimeSpan latency)
    {
        var parts = new List<string>();
        if (latency > TimeSpan.Zero)
        {
            parts.Add("latency " + latency.TotalMilliseconds + " ms");
        }

        if (outcome is not null)
        {
            parts.Add(outcome.Kind == FaultKind.Drop ? "drop connection" : "fail " + outcome.StatusCode + "/" + outcome.ErrorCode);
        }

        if (channelFailures is not null)
        {
            parts.Add("fail " + channelFailures.Count + " batch channel(s)");
        }

        return string.Join(", ", parts);
    }

    private FaultRule Add(FaultRule rule)
    {
        lock (_gate)
        {
            var current = _rules;
            var next = new FaultRule[current.Length + 1];
            Array.Copy(current, next, current.Length);
            next[^1] = rule;
            Volatile.Write(ref _rules, next);
        }

        _log?.Invoke("fault: added #" + rule.Id + " " + rule.Kind + (rule.Channel is null ? string.Empty : " on channel " + rule.Channel));
        return rule;
    }

    private void RemoveUsedUp()
    {
        lock (_gate)
        {
            var current = _rules;
            var next = new List<FaultRule>(current.Length);
            foreach (var rule in current)
            {
                if (rule.Remaining != 0)
                {
                    next.Add(rule);
                }
            }

            Volatile.Write(ref _rules, next.ToArray());
        }
    }

    private int NextId() => Interlocked.Increment(ref _nextId);
}

/// <summary>The outcome of <see cref="FaultInjector.Evaluate"/> for one request.</summary>
internal readonly record struct FaultDecision(TimeSpan Latency, FaultRule? Outcome, Dictionary<string, FaultRule>? ChannelFailures);
