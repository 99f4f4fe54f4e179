using System;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace AblyPgTyped.Observability;

/// <summary>
/// The progress lines of a backlog being drained: one when the active connector finds one (at least
/// <see cref="StartAt"/> changes in the store), then one each <see cref="ConnectorOptions.ProgressLogInterval"/> with the
/// backlog, the rate Ably accepts changes and the time left at the rate the backlog shrinks, and one when fewer than
/// <see cref="CaughtUpBelow"/> changes are left. Fed by the connector's looks at its store, never by the drain's cycles.
/// </summary>
internal sealed class BacklogProgress(TimeSpan interval, ILogger logger)
{
    /// <summary>A store holding this many changes holds a backlog: more than a steady stream leaves between reads.</summary>
    public const long StartAt = 1_000;

    /// <summary>Below this many changes the backlog is drained (lower than <see cref="StartAt"/>, so a stream near it does not flap).</summary>
    public const long CaughtUpBelow = 500;

    private bool _draining;
    private long _startedAt;
    private long _publishedAtStart;
    private long _lastAt;
    private long _publishedAtLast;
    private long _backlogAtLast;

    /// <summary>A new look at the store by a connector that is <paramref name="active"/>, which has had <paramref name="published"/> changes accepted so far.</summary>
    public void Observe(StoreSnapshot store, long published, bool active, string storeName)
    {
        var now = store.TakenAt;
        if (!active)
        {
            _draining = false; // a standby has no backlog of its own; a new leader starts afresh
            return;
        }

        if (!_draining)
        {
            if (store.Changes >= StartAt)
            {
                _draining = true;
                _startedAt = _lastAt = now;
                _publishedAtStart = _publishedAtLast = published;
                _backlogAtLast = store.Changes;
                LogMessages.BacklogFound(logger, store.Changes, storeName, store.OldestAge ?? TimeSpan.Zero);
            }

            return;
        }

        if (store.Changes < CaughtUpBelow)
        {
            _draining = false;
            var took = Stopwatch.GetElapsedTime(_startedAt, now);
            var accepted = published - _publishedAtStart;
            LogMessages.BacklogDrained(logger, storeName, accepted, took, PerSecond(accepted, took));
            return;
        }

        // Looks come at most an interval apart; a little early is close enough, or every other one would be skipped.
        var elapsed = Stopwatch.GetElapsedTime(_lastAt, now);
        if (elapsed < interval * 0.9)
        {
            return;
        }

        var rate = PerSecond(published - _publishedAtLast, elapsed);
        var shrink = (_backlogAtLast - store.Changes) / elapsed.TotalSeconds;
        LogMessages.BacklogProgress(logger, storeName, store.Changes, rate, elapsed, Remaining(store.Changes, shrink, rate));
        _lastAt = now;
        _publishedAtLast = published;
        _backlogAtLast = store.Changes;
    }

    private static string Remaining(long backlog, double shrinkPerSecond, long rate) =>
        shrinkPerSecond > 0
            ? $"about {new HumanDuration(TimeSpan.FromSeconds(Math.Min(backlog / shrinkPerSecond, TimeSpan.MaxValue.TotalSeconds / 2)))} to go"
            : rate > 0
                ? "not shrinking: changes are captured as fast as Ably accepts them"
                : "not shrinking: Ably accepts nothing now";

    private static long PerSecond(long count, TimeSpan elapsed) => elapsed <= TimeSpan.Zero ? 0 : (long)Math.Round(count / elapsed.TotalSeconds);
}
