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

    /// <summary>Counts accepted messages from now on, with the <see cref="Stopwatch"/> times of the first and the latest.</summary>
    public abstract AcceptanceTracker Track();

    /// <summary>Calls <paramref name="onMessage"/> with each accepted message's data (JSON text) and the endpoint's receipt time.</summary>
    public abstract IDisposable Observe(Action<string, DateTimeOffset> onMessage);

    /// <summary>Batch publish requests and duplicate messages so far.</summary>
    public abstract Task<EndpointCounters> CountersAsync();

    public abstract ValueTask DisposeAsync();
}

internal readonly record struct EndpointCounters(long BatchRequests, long AcceptedMessages, long DuplicateMessages);

/// <summary>Accepted messages counted by an endpoint observer.</summary>
internal abstract class AcceptanceTracker : IDisposable
{
    private long _count;
    private long _first;
    private long _last;
    private readonly SemaphoreSlim _changed = new(0);

    public long Count => Interlocked.Read(ref _count);

    /// <summary><see cref="Stopwatch"/> timestamp of the first accepted message; 0 before it.</summary>
    public long FirstTimestamp => Interlocked.Read(ref _first);

    /// <summary><see cref="Stopwatch"/> timestamp of the latest accepted message.</summary>
    public long LastTimestamp => Interlocked.Read(ref _last);

    /// <summary>Waits until <paramref name="target"/> messages were accepted; false when <paramref name="timeout"/> passes first.</summary>
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

    protected void Add(long count, long timestamp)
    {
        if (count <= 0)
        {
            return;
        }

        Interlocked.CompareExchange(ref _first, timestamp, 0);
        InterlockedMax(ref _last, timestamp);
        Interlocked.Add(ref _count, count);
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
