using System;
using System.Diagnostics;

namespace AblyPgTyped.LocalAbly;

/// <summary>
/// A token bucket that holds one second's budget: capacity = rate (at least 1, so a rate below 1/s still lets single
/// messages through), refilled continuously, full at first use. The rate is passed on every call because the
/// per-channel rate can change at run time; a changed rate starts the bucket full again. Thread-safe.
/// </summary>
internal sealed class TokenBucket
{
    private readonly object _gate = new();
    private double _rate; // the rate _tokens was computed for; 0 = never used (or reset)
    private double _tokens;
    private long _updatedAt;

    /// <summary>Most tokens the bucket holds at <paramref name="rate"/>; a take above it can never succeed.</summary>
    public static double Capacity(double rate) => Math.Max(rate, 1);

    /// <summary>
    /// Takes <paramref name="count"/> tokens if all of them are available now, else none. On refusal,
    /// <paramref name="wait"/> is how long until they would be (meaningless when count exceeds the capacity).
    /// </summary>
    public bool TryTake(double count, double rate, out TimeSpan wait)
    {
        lock (_gate)
        {
            Refill(rate);
            if (count <= _tokens)
            {
                _tokens -= count;
                wait = TimeSpan.Zero;
                return true;
            }

            wait = TimeSpan.FromSeconds((count - _tokens) / rate);
            return false;
        }
    }

    /// <summary>Gives back (positive) or takes unconditionally (negative, possibly into debt) a number of tokens.</summary>
    public void Adjust(double delta, double rate)
    {
        lock (_gate)
        {
            Refill(rate);
            _tokens = Math.Min(Capacity(rate), _tokens + delta);
        }
    }

    /// <summary>Makes the bucket full again at its next use.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _rate = 0;
        }
    }

    private void Refill(double rate)
    {
        // Read under the lock, so time never runs backwards between callers.
        var now = Stopwatch.GetTimestamp();
        if (rate != _rate)
        {
            _rate = rate;
            _tokens = Capacity(rate);
            _updatedAt = now;
            return;
        }

        _tokens = Math.Min(Capacity(rate), _tokens + ((now - _updatedAt) * rate / Stopwatch.Frequency));
        _updatedAt = now;
    }
}
