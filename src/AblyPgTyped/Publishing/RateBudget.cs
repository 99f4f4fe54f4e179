using System;
using System.Diagnostics;

namespace AblyPgTyped.Publishing;

/// <summary>
/// A token bucket for one of Ably's rate limits: it holds at most one second's worth, refills continuously and
/// starts full, as the local endpoint models Ably. Not thread-safe: its owner serialises access.
/// </summary>
/// <remarks>
/// The connector paces to a little less than the limit (<see cref="Headroom"/>) because requests reach Ably later
/// than they leave and not always in the order they left; pacing at exactly the limit would meet an occasional 429.
/// </remarks>
internal sealed class RateBudget
{
    /// <summary>The share of a limit the connector uses.</summary>
    public const double Headroom = 0.95;

    private readonly double _rate;
    private readonly double _capacity;
    private double _tokens;
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

    /// <summary>Whole units available now.</summary>
    public int Available(long now)
    {
        if (IsUnlimited)
        {
            return int.MaxValue;
        }

        Refill(now);
        return (int)Math.Floor(_tokens);
    }

    public void Take(int units, long now)
    {
        if (!IsUnlimited)
        {
            Refill(now);
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

    /// <summary>How long until <paramref name="units"/> whole units are available.</summary>
    public TimeSpan TimeUntil(int units, long now)
    {
        if (IsUnlimited)
        {
            return TimeSpan.Zero;
        }

        Refill(now);
        var missing = Math.Min(units, _capacity) - _tokens;
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
