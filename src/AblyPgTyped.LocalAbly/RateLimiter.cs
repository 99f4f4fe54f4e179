using System;
using System.Globalization;

namespace AblyPgTyped.LocalAbly;

/// <summary>
/// Ably's account-wide rate limits as token buckets (publish requests, messages) and the refusals of every rate limit.
/// The per-channel buckets live in <see cref="ChannelState"/>, under the channel's lock.
/// </summary>
/// <remarks>
/// Order for one publish: the request token is taken first (and kept even when the request is refused later, as
/// Ably counts every API request); then the request's new messages are reserved from the account bucket (all or
/// nothing; 42917 refuses the whole request); then each channel takes its own (42913). Whatever a channel refuses,
/// or finds to be duplicates, is given back to the account bucket, so a refused publish spends no message tokens.
/// </remarks>
internal sealed class RateLimiter
{
    private const string Refused = "Rate limit exceeded; request rejected (nonfatal): ";
    private readonly LocalAblyLimits _configured;
    private readonly FaultInjector _faults;
    private readonly ServerCounters _counters;
    private readonly TokenBucket _requests = new();
    private readonly TokenBucket _accountMessages = new();

    public RateLimiter(LocalAblyLimits configured, FaultInjector faults, ServerCounters counters)
    {
        _configured = configured;
        _faults = faults;
        _counters = counters;
    }

    /// <summary>The limits in force now (the per-channel rate may be overridden at run time through the fault injector).</summary>
    public LocalAblyLimits Limits => _configured with { ChannelMessagesPerSecond = ChannelMessagesPerSecond };

    /// <summary>Per-channel rate in force, or null when unlimited. A run-time override wins over the configured rate.</summary>
    public double? ChannelMessagesPerSecond
    {
        get
        {
            var overridden = _faults.RateLimitPerChannel;
            if (overridden is { } rate)
            {
                return double.IsPositiveInfinity(rate) ? null : rate;
            }

            return _configured.ChannelMessagesPerSecond;
        }
    }

    /// <summary>True when publishes must reserve account message tokens before storing anything.</summary>
    public bool LimitsAccountMessages => _configured.AccountMessagesPerSecond is not null;

    /// <summary>Takes the token of one publish request, or refuses the request with 429 / 42918.</summary>
    public void TakeRequest()
    {
        if (_configured.AccountRequestsPerSecond is not { } rate || _requests.TryTake(1, rate, out var wait))
        {
            return;
        }

        ServerCounters.Increment(ref _counters.AccountRequestRateLimited);
        ServerCounters.Increment(ref _counters.RateLimitedRequests);
        throw new AblyException(
            429,
            AblyErrors.AccountRequestRateLimit,
            Refused + "the account allows " + Format(rate) + " publish requests per second",
            RetryAfter(wait));
    }

    /// <summary>Reserves the new messages of one request, or refuses the whole request with 429 / 42917.</summary>
    public void ReserveAccountMessages(long count)
    {
        if (count == 0 || _configured.AccountMessagesPerSecond is not { } rate || _accountMessages.TryTake(count, rate, out var wait))
        {
            return;
        }

        ServerCounters.Increment(ref _counters.AccountMessageRateLimited);
        ServerCounters.Increment(ref _counters.RateLimitedRequests);
        var capacity = TokenBucket.Capacity(rate);
        var message = count > capacity
            ? Refused + "the account allows " + Format(rate) + " messages per second, so a request with " + Format(count) + " new messages can never pass; send fewer messages per request (at most " + Format(Math.Floor(capacity)) + ")"
            : Refused + "the account allows " + Format(rate) + " messages per second and this request has " + Format(count) + " new messages";
        throw new AblyException(429, AblyErrors.AccountMessageRateLimit, message, RetryAfter(count > capacity ? TimeSpan.Zero : wait));
    }

    /// <summary>Settles a reservation: gives back what was reserved but not stored, or takes what was stored beyond it.</summary>
    public void SettleAccountMessages(long reserved, long stored)
    {
        if (reserved != stored && _configured.AccountMessagesPerSecond is { } rate)
        {
            _accountMessages.Adjust(reserved - stored, rate);
        }
    }

    /// <summary>The 429 / 42913 for a channel whose bucket refused <paramref name="fresh"/> new messages.</summary>
    public AblyException ChannelRefused(string channel, double rate, int fresh, TimeSpan wait)
    {
        ServerCounters.Increment(ref _counters.ChannelRateLimited);
        var capacity = TokenBucket.Capacity(rate);
        var never = fresh > capacity;
        var message = never
            ? Refused + "channel \"" + channel + "\" allows " + Format(rate) + " messages per second, so a publish with " + Format(fresh) + " new messages for it can never pass; send fewer messages per request (at most " + Format(Math.Floor(capacity)) + " per channel)"
            : Refused + "channel \"" + channel + "\" allows " + Format(rate) + " messages per second and this publish has " + Format(fresh) + " new messages for it";
        return new AblyException(429, AblyErrors.ChannelRateLimit, message, RetryAfter(never ? TimeSpan.Zero : wait));
    }

    /// <summary>Fills the account buckets again (channel buckets go with their channels).</summary>
    public void Reset()
    {
        _requests.Reset();
        _accountMessages.Reset();
    }

    /// <summary>Whole seconds, at least 1 (Retry-After has no fractions, and 0 invites an immediate futile retry).</summary>
    private static TimeSpan RetryAfter(TimeSpan wait) => TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(wait.TotalSeconds)));

    private static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);
}
