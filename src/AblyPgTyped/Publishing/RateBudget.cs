using System;
using System.Diagnostics;

namespace AblyPgTyped.Publishing;

/// <summary>
/// A token bucket for one of Ably's rate limits: it holds at most one second's worth, refills continuously and
/// starts full, as the local endpoint models Ably. Not thread-safe: its owner serialises access.
/// </summary>
/// <remarks>
/// <para>
/// Ably counts a request when it arrives, which the connector cannot see: only that it arrived after it was built
/// and before its answer came back. So a request's units are <see cref="Reserve">reserved</see> when it is built
/// (unavailable to the requests built while it is on its way, which may arrive after it) and
/// <see cref="Settle">charged</see> when its answer comes back, the latest it can have arrived. Charging later is
/// never more generous than Ably's count: the bucket refills the same either way, except that refill beyond a full
/// bucket is lost, and that loss is larger the later the charge. Charging when a request was built instead, a request
/// that took long to arrive and the next one that arrived quickly would meet a bucket emptier than the connector
/// thought (a 429 at the start of every busy channel).
/// </para>
/// <para>
/// The connector also paces to a little less than the limit (<see cref="Headroom"/>), for the clocks and for whatever
/// else shares the account.
/// </para>
/// </remarks>
internal sealed class RateBudget
{
    /// <summary>The share of a limit the connector uses.</summary>
    public const double Headroom = 0.95;

    private readonly double _rate;
    private readonly double _capacity;
    private double _tokens;
    private long _reserved;
    private long _stamp;

    public RateBudget(double perSecond, long now)
    {
        _rate = perSecond * Headroom;
        _capacity = Math.Max(1, Math.Floor(perSecond * Headroom));
        _tokens = _capacity;
        _stamp = now;
    }

    public bool IsUnlimited => double.IsPositiveInfinity(_rate);

    /// <summary>The limit this budget paces to, per second (before headroom).</summary>
    public double Limit => _rate / Headroom;

    /// <summary>Most units ever available at once: what one request may carry.</summary>
    public int Capacity => IsUnlimited ? int.MaxValue : (int)_capacity;

    /// <summary>Units reserved by requests on their way.</summary>
    public long Reserved => _reserved;

    /// <summary>Whole units available now, less those reserved.</summary>
    public int Available(long now)
    {
        if (IsUnlimited)
        {
            return int.MaxValue;
        }

        Refill(now);
        return (int)Math.Floor(_tokens - _reserved);
    }

    /// <summary>A request carrying <paramref name="units"/> was built: they are unavailable until it is <see cref="Settle">settled</see>.</summary>
    public void Reserve(int units)
    {
        if (!IsUnlimited)
        {
            _reserved += units;
        }
    }

    /// <summary>The answer to a request that <see cref="Reserve">reserved</see> <paramref name="units"/> came back: they are charged now.</summary>
    public void Settle(int units, long now)
    {
        if (!IsUnlimited)
        {
            Refill(now);
            _reserved -= units;
            _tokens -= units;
        }
    }

    /// <summary>After Ably refused for this limit: assume nothing is left, whatever the bucket thought.</summary>
    public void Exhaust(long now)
    {
        if (!IsUnlimited)
        {
            Refill(now);
            _tokens = Math.Min(_tokens, 0);
        }
    }

    /// <summary>
    /// How long until <paramref name="units"/> whole units are available; a second when that needs requests on their
    /// way to be answered first (each answer wakes the scheduler anyway).
    /// </summary>
    public TimeSpan TimeUntil(int units, long now)
    {
        if (IsUnlimited)
        {
            return TimeSpan.Zero;
        }

        Refill(now);
        var needed = Math.Min(units, _capacity) + _reserved;
        if (needed > _capacity)
        {
            // Refill alone never gets there (the bucket holds at most its capacity): an answer has to settle first.
            return TimeSpan.FromSeconds(1);
        }

        var missing = needed - _tokens;
        return missing <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(missing / _rate);
    }

    private void Refill(long now)
    {
        if (now > _stamp)
        {
            _tokens = Math.Min(_capacity, _tokens + ((now - _stamp) * _rate / Stopwatch.Frequency));
            _stamp = now;
        }
    }
}
