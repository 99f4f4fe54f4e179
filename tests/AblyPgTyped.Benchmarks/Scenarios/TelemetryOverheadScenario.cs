using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.Benchmarks.Infrastructure;

namespace AblyPgTyped.Benchmarks.Scenarios;

/// <summary>
/// Issue 12: what observing the connector costs its hot path. The same one-channel backlog is drained by a connector
/// process with nobody listening to its metrics and spans, and by one with a listener that aggregates every
/// measurement and records every span (as an exporter would), in alternating order within one run, under the unlimited
/// plan, so the connector itself is the bottleneck.
/// </summary>
internal static class TelemetryOverheadScenario
{
    private const string Name = "telemetry";

    /// <summary>The most the drain rate may drop with everything listened to.</summary>
    private const double MaxOverheadPercent = 5;

    private static readonly Dictionary<string, string> Listening = new() { [TelemetryListener.Variable] = "1" };

    public static async Task RunAsync(BenchmarkRun run)
    {
        var plan = run.Options.PlanList.FirstOrDefault(p => !p.IsLimited) ?? run.Options.PlanList[0];
        var endpoint = await run.Endpoints.ForAsync(plan);
        var changes = run.Options.TelemetryChanges;
        var off = new List<DrainResult>();
        var on = new List<DrainResult>();

        // A first drain warms the database and the machine's caches up; it is not counted.
        await DrainOnceAsync(run, endpoint, Math.Max(1_000, changes / 10), listened: false);
        for (var pair = 0; pair < run.Options.TelemetryPairs; pair++)
        {
            // Alternating which goes first cancels a drift of the machine's load across the run.
            foreach (var listened in pair % 2 == 0 ? new[] { false, true } : [true, false])
            {
                var result = await DrainOnceAsync(run, endpoint, changes, listened);
                (listened ? on : off).Add(result);
                run.Log($"{Name} ({plan.Name}): {(listened ? "listened to" : "not listened to")}: {Report.N0(result.Rate)} changes/s, " +
                        $"connector CPU {CpuPerChange(result):0.0} µs per change");
            }
        }

        var offRate = Median(off.ConvertAll(r => r.Rate));
        var onRate = Median(on.ConvertAll(r => r.Rate));
        var overhead = 100 * (offRate - onRate) / offRate;
        run.Report.AtMost(Name, $"{Report.N0(changes)} changes, one channel ({plan.Name}): drain rate lost to a metrics and tracing listener", overhead, MaxOverheadPercent,
            Percent, $"**{Percent(overhead)}** (median of {off.Count}: {Report.N0(offRate)}/s not listened to, {Report.N0(onRate)}/s listened to; " +
            $"each pass: {string.Join(", ", off.Select(r => Report.N0(r.Rate)))} vs {string.Join(", ", on.Select(r => Report.N0(r.Rate)))})");
        run.Report.Print(run.Progress);

        // CPU per change suffers less than wall-clock rates from whatever else runs on the machine.
        var offCpu = Median(off.ConvertAll(CpuPerChange));
        var onCpu = Median(on.ConvertAll(CpuPerChange));
        run.Report.Add(Name, $"{Report.N0(changes)} changes, one channel ({plan.Name}): connector CPU per change, start to last accepted",
            $"**{offCpu:0.0} µs** not listened to, **{onCpu:0.0} µs** listened to ({Percent(100 * (onCpu - offCpu) / offCpu)} more; " +
            $"each pass: {string.Join(", ", off.Select(r => CpuPerChange(r).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)))} vs " +
            $"{string.Join(", ", on.Select(r => CpuPerChange(r).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)))})");
        run.Report.Print(run.Progress);
        run.Report.Note("telemetry: the drain scenario's bulk backlog (100-row statements, one channel) drained by a connector process, alternately with no listener and with one that " +
            "enables every AblyPgTyped instrument, aggregates each measurement per tag set (count and sum, as an SDK does), reads the gauges every second and samples every publish span " +
            "(AllDataAndRecorded); a first, smaller drain warms up and is not counted; changes/s = changes ÷ (last accepted − first accepted); CPU = the connector process's user + system time " +
            "from its start (JIT included) to the last change accepted; each figure is the median of its side. A negative difference is noise.");
    }

    private static string Percent(double value) => value.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " %";

    private static double CpuPerChange(DrainResult result) => 1e6 * result.ConnectorCpuSeconds / result.Changes;

    private static async Task<DrainResult> DrainOnceAsync(BenchmarkRun run, BenchEndpoint endpoint, int changes, bool listened)
    {
        await using var database = await run.Postgres.CreateDatabaseAsync();
        await run.InstallCaptureAsync(database);
        await DrainScenario.FillAsync(database, "bulk", changes);
        await database.ExecuteAsync("VACUUM ANALYZE ablypg.changes");
        await database.ExecuteAsync("CHECKPOINT");
        var result = await BacklogDrain.MeasureAsync(run, database, endpoint, changes, listened ? Listening : null);
        if (!result.Done)
        {
            throw new InvalidOperationException(result.NotDrained);
        }

        run.Log($"{Name}: connector runtime: {result.RuntimeStats}");
        return result;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
