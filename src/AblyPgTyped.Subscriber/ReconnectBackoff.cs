using System;

namespace AblyPgTyped;

/// <summary>
/// The pause before each reconnection, as Ably's SDKs pace theirs (RTB1): none for the first after a stream that was
/// working, then the retry timeout times min((n + 2) / 3, 2), less up to 20% of jitter.
/// </summary>
internal sealed class ReconnectBackoff(TimeSpan retryTimeout)
{
    private int _failures;

    /// <summary>A stream delivered something: the next drop reconnects at once.</summary>
    public void Reset() => _failures = 0;

    /// <summary>The pause before the next attempt, counting it.</summary>
    public TimeSpan Next()
    {
        var attempt = _failures++;
        if (attempt == 0)
        {
            return TimeSpan.Zero;
        }

        var coefficient = Math.Min((attempt + 2) / 3.0, 2.0);
        var jitter = 1.0 - (Random.Shared.NextDouble() * 0.2);
        return retryTimeout * (coefficient * jitter);
    }
}
