using System;

namespace AblyPgTyped.Publishing;

/// <summary>
/// The one backoff rule of the publish path: exponential with full jitter (uniform in [0, min(cap, base·2^attempt)]),
/// never shorter than Ably's <c>Retry-After</c> nor than a small floor, so that repeated failures slow down and many
/// connectors do not retry in step.
/// </summary>
internal static class RetryPolicy
{
    /// <summary>First backoff ceiling; it doubles per failed attempt.</summary>
    public static readonly TimeSpan Base = TimeSpan.FromMilliseconds(100);

    /// <summary>The shortest pause after a failure.</summary>
    public static readonly TimeSpan Floor = TimeSpan.FromMilliseconds(20);

    /// <summary>The pause before attempt <paramref name="attempt"/> + 1 (0 after the first failure).</summary>
    public static TimeSpan Delay(int attempt, TimeSpan cap, TimeSpan? retryAfter = null, TimeSpan? floor = null)
    {
        var ceiling = Math.Min(cap.TotalMilliseconds, Base.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30)));
        var delay = TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ceiling);
        var least = floor ?? Floor;
        if (retryAfter is { } after && after > least)
        {
            least = after;
        }

        return delay < least ? least : delay;
    }
}
