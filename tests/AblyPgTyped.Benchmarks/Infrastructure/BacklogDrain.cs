using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading.Tasks;

namespace AblyPgTyped.Benchmarks.Infrastructure;

/// <summary>
/// A connector process started on a backlog captured while no connector ran, timed from its start until the endpoint
/// has accepted every change: what the drain, sharded and logical scenarios measure.
/// </summary>
internal static class BacklogDrain
{
    public static async Task<DrainResult> MeasureAsync(
        BenchDatabase database, BenchEndpoint endpoint, int changes, IReadOnlyDictionary<string, string>? environment = null, CaptureMode capture = CaptureMode.Triggers)
    {
        using var tracker = endpoint.Track();
        tracker.MarkAt(changes / 2);
        var before = await endpoint.CountersAsync();
        await using var child = ConnectorChild.Start(database.ConnectionString, endpoint, environment, capture);
        var cpu = CpuMeter.Start(child.ProcessId, database.PostmasterProcessId);
        var timeout = TimeSpan.FromSeconds(Math.Max(120, changes / 2_000.0));
        using var measuring = new System.Threading.CancellationTokenSource();
        var halfway = CpuAtHalfwayAsync(tracker, cpu, changes / 2, measuring.Token);
        var done = await tracker.WaitForAsync(changes, timeout);
        await measuring.CancelAsync();
        var peakRss = child.PeakRssBytes();
        var connectorCpu = cpu.ConnectorSeconds();
        var cpuSplit = cpu.Describe();
        var delivery = await Delivery.SinceAsync(endpoint, before, tracker.Count);
        var left = await WaitForEmptyStoreAsync(database);
        await child.StopAsync();
        return new DrainResult(
            done, changes, tracker.Count, timeout,
            BenchmarkRun.Seconds(tracker.FirstTimestamp, tracker.LastTimestamp),
            BenchmarkRun.Seconds(child.StartedTimestamp, tracker.LastTimestamp),
            tracker.MarkTimestamp == 0 ? double.NaN : (changes - (changes / 2)) / BenchmarkRun.Seconds(tracker.MarkTimestamp, tracker.LastTimestamp),
            tracker.Count == 0 ? 0 : tracker.Bytes / (double)tracker.Count,
            peakRss, cpuSplit, child.RuntimeStats, delivery, left, connectorCpu, connectorCpu - await halfway);
    }

    /// <summary>The connector's CPU time when half the changes were accepted, so the second half's excludes start-up and JIT.</summary>
    private static async Task<double> CpuAtHalfwayAsync(AcceptanceTracker tracker, CpuMeter cpu, long half, System.Threading.CancellationToken cancellationToken)
    {
        while (tracker.Count < half && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(5, System.Threading.CancellationToken.None);
        }

        return cpu.ConnectorSeconds();
    }

    private static async Task<long> WaitForEmptyStoreAsync(BenchDatabase database)
    {
        var waited = Stopwatch.StartNew();
        long left;
        while ((left = await database.ScalarAsync<long>("SELECT count(*) FROM ablypg.changes")) > 0 && waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(20);
        }

        return left;
    }
}

/// <summary>One backlog drain: whether every change was accepted in time, how fast, and at what cost.</summary>
/// <param name="Done">Every change was accepted within <paramref name="Timeout"/>.</param>
/// <param name="Seconds">First → last accepted.</param>
/// <param name="FromStart">Process start → last accepted.</param>
/// <param name="SecondHalfRate">Changes per second over the second half of the changes, once the connector's JIT has mostly settled.</param>
/// <param name="BytesPerChange">Accepted message bytes (Ably's size rule) per change.</param>
/// <param name="StoreRowsLeft">Store rows left once the connector had a moment to forget what was accepted.</param>
/// <param name="ConnectorCpuSeconds">CPU time of the connector process, from its start to the last change accepted.</param>
/// <param name="SecondHalfCpuSeconds">CPU time of the connector process while the second half of the changes was accepted.</param>
internal sealed record DrainResult(
    bool Done, int Changes, long Accepted, TimeSpan Timeout, double Seconds, double FromStart, double SecondHalfRate, double BytesPerChange,
    long PeakRssBytes, string CpuSplit, string? RuntimeStats, Delivery Delivery, long StoreRowsLeft, double ConnectorCpuSeconds = double.NaN,
    double SecondHalfCpuSeconds = double.NaN)
{
    public double Rate => Changes / Seconds;

    public double PeakRssMb => PeakRssBytes / 1e6;

    /// <summary>e.g. "second half 91,000/s".</summary>
    public string SecondHalf => double.IsNaN(SecondHalfRate) ? "" : $"second half {Report.N0(SecondHalfRate)}/s; ";

    public string NotDrained => $"not drained: only {Report.N0(Accepted)} of {Report.N0(Changes)} accepted within {Timeout.TotalSeconds:0} s";
}
