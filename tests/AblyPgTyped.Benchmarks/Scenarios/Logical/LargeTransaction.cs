using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Threading.Tasks;
using AblyPgTyped.Benchmarks.Infrastructure;

namespace AblyPgTyped.Benchmarks.Scenarios.Logical;

/// <summary>
/// One UPDATE of a million rows in one transaction, with a connector process running, in each capture mode: how long
/// the UPDATE takes to commit, how long until every change is published, and the connector's peak memory against its
/// memory idle a moment before. With logical replication the transaction reaches the connector only once committed,
/// whole, and is cut into capture rows as it is read, so its memory should not grow with the transaction.
/// </summary>
internal static class LargeTransaction
{
    private const string Name = LogicalScenario.Name;

    /// <summary>Issue 5's bound on the connector's peak RSS while it drains.</summary>
    private const double RssTargetMb = 150;

    public static async Task RunAsync(BenchmarkRun run, PostgresTarget server)
    {
        var rows = run.Options.LargeUpdateRows;
        var results = new Dictionary<CaptureMode, Measured>();
        foreach (var mode in new[] { CaptureMode.Triggers, CaptureMode.LogicalReplication })
        {
            results[mode] = await MeasureAsync(run, server, mode, rows);
        }

        var trigger = results[CaptureMode.Triggers];
        var logical = results[CaptureMode.LogicalReplication];
        var figure = $"one UPDATE of {Report.N0(rows)} rows in one transaction (one channel, whole old and new rows)";
        run.Report.Add(Name, figure + ", logical capture: commit, then every change published",
            logical.Text, $"triggers in the same run: {trigger.Text}", logical.Published);
        run.Report.Print(run.Progress);
        run.Report.AtMost(Name, figure + ", logical capture: connector peak RSS (VmHWM)", logical.PeakRssMb, RssTargetMb, v => Report.N0(v) + " MB",
            $"**{Report.N0(logical.PeakRssMb)} MB**", $"the same process idle just before: {Report.N0(logical.IdleRssMb)} MB; triggers in the same run: {Report.N0(trigger.PeakRssMb)} MB (idle {Report.N0(trigger.IdleRssMb)} MB)",
            logical.Published);
        run.Report.Print(run.Progress);

        run.Report.Note($"{Name} (large transaction): bench_large holds {Report.N0(rows)} rows written before capture was installed; a connector process (no limits, one message per change) " +
            "is started and left idle for 2 s (its VmRSS then is the idle figure), then `UPDATE bench_large SET name = 'updated'` runs in one transaction. bench_large's updates all go to one channel, " +
            "\"large\", and its mapping has ReplicaIdentity.Full, so both modes publish the old and the new row: memory is measured against the transaction, not against a channel per row " +
            "(whose per-channel state grows the connector in both modes alike). \"Published\" is from the UPDATE's start until the endpoint has accepted every change.");
    }

    private static async Task<Measured> MeasureAsync(BenchmarkRun run, PostgresTarget server, CaptureMode mode, int rows)
    {
        var tag = $"{Name} large transaction ({CaptureWriteCost.Mode(mode)})";
        await using var database = await server.CreateDatabaseAsync();
        await database.ExecuteAsync(BenchTables.InsertRows(BenchTables.Large, rows.ToString(CultureInfo.InvariantCulture)));
        await database.ExecuteAsync($"VACUUM ANALYZE {BenchTables.Large}");
        await run.InstallCaptureAsync(database, mode);
        await database.ExecuteAsync("CHECKPOINT");

        var endpoint = await run.Endpoints.UnmeteredAsync();
        await using var child = await run.StartConnectorProcessAsync(database, endpoint, mode);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var idle = child.RssBytes() / 1e6;
        using var tracker = endpoint.Track();
        var before = await endpoint.CountersAsync();

        var clock = Stopwatch.StartNew();
        await database.ExecuteAsync($"UPDATE {BenchTables.Large} SET name = 'updated'", timeoutSeconds: 3600);
        var committed = clock.Elapsed;
        var done = await tracker.WaitForAsync(rows, TimeSpan.FromSeconds(Math.Max(300, rows / 2_000.0)));
        var published = clock.Elapsed;
        var peak = child.PeakRssBytes() / 1e6;
        var delivery = await Delivery.SinceAsync(endpoint, before, tracker.Count);
        run.Log($"{tag}: committed in {committed.TotalSeconds:0.0} s; {(done ? "all" : $"only {Report.N0(tracker.Count)}")} published {published.TotalSeconds:0.0} s after it began; " +
                $"connector RSS idle {Report.N0(idle)} MB, peak {Report.N0(peak)} MB");
        await child.StopAsync();
        var text = done
            ? $"**committed in {committed.TotalSeconds:0.0} s, all published {published.TotalSeconds:0.0} s after the UPDATE began** ({Report.N0(rows / (published - committed).TotalSeconds)} changes/s after the commit)"
            : $"committed in {committed.TotalSeconds:0.0} s; only {Report.N0(tracker.Count)} of {Report.N0(rows)} published within {published.TotalSeconds:0} s";
        return new Measured(text, idle, peak, delivery);
    }

    private sealed record Measured(string Text, double IdleRssMb, double PeakRssMb, Delivery Published);
}
