using System;
using System.Collections.Generic;
using System.Threading;

namespace AblyPgTyped.Benchmarks.Infrastructure;

/// <summary>
/// Commit → accepted latencies, one per change: the endpoint's receipt time of its message minus the change's
/// <c>capturedAt</c> (every change of a bundle counts). Kept with the capture time, so a window can be cut out later.
/// </summary>
internal sealed class LatencySamples(string? channel = null)
{
    private readonly List<(DateTimeOffset CapturedAt, double Ms)> _samples = [];
    private long _messages;

    /// <summary>Messages seen (of the channel given, if one was).</summary>
    public long Messages => Interlocked.Read(ref _messages);

    /// <summary>For <see cref="BenchEndpoint.Observe"/>; messages of other channels than the one given are ignored.</summary>
    public void OnMessage(ObservedMessage message)
    {
        if (channel is not null && message.Channel != channel)
        {
            return;
        }

        Interlocked.Increment(ref _messages);
        lock (_samples)
        {
            MessageChanges.EachCapturedAt(message.Data, capturedAt => _samples.Add((capturedAt, (message.ReceivedAt - capturedAt).TotalMilliseconds)));
        }
    }

    public void Clear()
    {
        lock (_samples)
        {
            _samples.Clear();
            Interlocked.Exchange(ref _messages, 0);
        }
    }

    /// <summary>The latencies (ms, sorted) of the changes captured in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public double[] Between(DateTimeOffset from, DateTimeOffset to)
    {
        var window = new List<double>();
        lock (_samples)
        {
            foreach (var (capturedAt, ms) in _samples)
            {
                if (capturedAt >= from && capturedAt < to)
                {
                    window.Add(ms);
                }
            }
        }

        var sorted = window.ToArray();
        Array.Sort(sorted);
        return sorted;
    }

    public static double Percentile(double[] sorted, double fraction) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(fraction * sorted.Length) - 1)];

    /// <summary>e.g. "**3.3 ms / 14 ms** / 88 ms": p50 / p99 in bold, then the max.</summary>
    public static string Describe(double[] sorted) =>
        $"**{Report.Ms(Percentile(sorted, 0.50))} / {Report.Ms(Percentile(sorted, 0.99))}** / {Report.Ms(sorted[^1])}";
}
