using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace AblyPgTyped.Benchmarks.Infrastructure;

/// <summary>
/// The Ably-compatible endpoint the connector publishes to, and how the benchmark observes it: the LocalAbly server
/// in this process (exact receipt times), or a running LocalAbly given on the command line (observed through /_local/).
/// </summary>
internal abstract class BenchEndpoint : IAsyncDisposable
{
    public abstract string Host { get; }

    public abstract int Port { get; }

    public abstract string ApiKey { get; }

    public abstract string Description { get; }

    /// <summary>The plan whose limits the endpoint enforces.</summary>
    public abstract BenchPlan Plan { get; }

    /// <summary>Counts the changes in accepted messages from now on, with the <see cref="Stopwatch"/> times of the first and the latest.</summary>
    public abstract AcceptanceTracker Track();

    /// <summary>Calls <paramref name="onMessage"/> with each accepted message: its channel, its data (JSON text) and the endpoint's receipt time.</summary>
    public abstract IDisposable Observe(Action<ObservedMessage> onMessage);

    /// <summary>Batch publish requests, accepted and duplicate messages and rate-limit refusals so far.</summary>
    public abstract Task<EndpointCounters> CountersAsync();

    public abstract ValueTask DisposeAsync();
}

/// <summary>
/// The endpoint's counters. Refusals with a 429 code: <paramref name="ChannelRateLimited"/> for a channel's message rate
/// (42913, per channel of a batch request), <paramref name="AccountRateLimited"/> for the account's message or request
/// rate (42917, 42918; the whole request).
/// </summary>
internal readonly record struct EndpointCounters(long BatchRequests, long AcceptedMessages, long DuplicateMessages, long ChannelRateLimited, long AccountRateLimited)
{
    public long RateLimited => ChannelRateLimited + AccountRateLimited;

    public static EndpointCounters operator -(EndpointCounters after, EndpointCounters before) => new(
        after.BatchRequests - before.BatchRequests, after.AcceptedMessages - before.AcceptedMessages, after.DuplicateMessages - before.DuplicateMessages,
        after.ChannelRateLimited - before.ChannelRateLimited, after.AccountRateLimited - before.AccountRateLimited);
}

/// <summary>One accepted message as an observer sees it; <paramref name="Data"/> is the data as a string (a bundle's holds many changes).</summary>
internal readonly record struct ObservedMessage(string Channel, string Data, DateTimeOffset ReceivedAt);

/// <summary>Changes in accepted messages, counted by an endpoint observer (a bundle counts all its changes).</summary>
internal abstract class AcceptanceTracker : IDisposable
{
    private long _count;
    private long _bytes;
    private long _first;
    private long _last;
    private long _mark;
    private readonly SemaphoreSlim _changed = new(0);

    /// <summary>Changes accepted so far.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Size of the accepted messages by Ably's rule (name + data + extras), in bytes.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary><see cref="Stopwatch"/> timestamp of the first accepted message; 0 before it.</summary>
    public long FirstTimestamp => Interlocked.Read(ref _first);

    /// <summary><see cref="Stopwatch"/> timestamp of the latest accepted message.</summary>
    public long LastTimestamp => Interlocked.Read(ref _last);

    /// <summary>Changes at which <see cref="MarkTimestamp"/> is taken (see <see cref="MarkAt"/>).</summary>
    public long Mark { get; private set; } = long.MaxValue;

    /// <summary><see cref="Stopwatch"/> timestamp of the message that took the count to <see cref="Mark"/>; 0 before.</summary>
    public long MarkTimestamp => Interlocked.Read(ref _mark);

    /// <summary>Notes the time the count reaches <paramref name="changes"/> (half a drain, to tell its warm-up from the rest).</summary>
    public void MarkAt(long changes) => Mark = changes;

    /// <summary>Waits until <paramref name="target"/> changes were accepted; false when <paramref name="timeout"/> passes first.</summary>
    public async Task<bool> WaitForAsync(long target, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Count < target)
        {
            var left = deadline - Stopwatch.GetTimestamp();
            if (left <= 0)
            {
                return false;
            }

            await _changed.WaitAsync(TimeSpan.FromMilliseconds(Math.Min(100, left * 1000.0 / Stopwatch.Frequency)));
        }

        return true;
    }

    public virtual void Dispose() => _changed.Dispose();

    protected void Add(long changes, long bytes, long timestamp)
    {
        if (changes <= 0)
        {
            return;
        }

        Interlocked.CompareExchange(ref _first, timestamp, 0);
        InterlockedMax(ref _last, timestamp);
        Interlocked.Add(ref _bytes, bytes);
        if (Interlocked.Add(ref _count, changes) >= Mark)
        {
            Interlocked.CompareExchange(ref _mark, timestamp, 0);
        }

        try
        {
            _changed.Release();
        }
        catch (ObjectDisposedException)
        {
            // A message accepted while the tracker was being disposed: nobody waits any more.
        }
    }

    private static void InterlockedMax(ref long location, long value)
    {
        var current = Interlocked.Read(ref location);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref location, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
