using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.Benchmarks.Infrastructure;

namespace AblyPgTyped.Benchmarks.Scenarios;

/// <summary>
/// Issue 12: what observing the connector costs its hot path. The same one-channel backlog is drained by a connector
/// process with nobody listening to its metrics and spans, and by one with OpenTelemetry's SDK collecting all of them
/// (<see cref="TelemetryListener"/>), in alternating order within one run, under the unlimited plan, so the connector
/// itself is the bottleneck.
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
                run.Log($"{Name} ({plan.Name}): {(listened ? "listened to" : "not listened to")}: {Report.N0(result.Rate)} changes/s " +
                        $"(second half {Report.N0(result.SecondHalfRate)}/s), connector CPU {CpuPerChange(result):0.0} µs per change (second half {SecondHalfCpuPerChange(result):0.00} µs)");
            }
        }

        // The hot path is the steady drain: the second half of the changes, after start-up and JIT (OpenTelemetry's SDK
        // has its own to compile, which the whole run's figures include).
        var offHalf = Median(off.ConvertAll(r => r.SecondHalfRate));
        var onHalf = Median(on.ConvertAll(r => r.SecondHalfRate));
        var overhead = 100 * (offHalf - onHalf) / offHalf;
        run.Report.AtMost(Name, $"{Report.N0(changes)} changes, one channel ({plan.Name}): drain rate lost to OpenTelemetry collecting everything, second half of the changes",
            overhead, MaxOverheadPercent, Percent,
            $"**{Percent(overhead)}** (median of {off.Count}: {Report.N0(offHalf)}/s not listened to, {Report.N0(onHalf)}/s listened to; " +
            $"each pass: {string.Join(", ", off.Select(r => Report.N0(r.SecondHalfRate)))} vs {string.Join(", ", on.Select(r => Report.N0(r.SecondHalfRate)))})");
        run.Report.Print(run.Progress);

        var offRate = Median(off.ConvertAll(r => r.Rate));
        var onRate = Median(on.ConvertAll(r => r.Rate));
        run.Report.Add(Name, $"{Report.N0(changes)} changes, one channel ({plan.Name}): drain rate, first to last accepted",
            $"{Report.N0(offRate)}/s not listened to, {Report.N0(onRate)}/s listened to ({Percent(100 * (offRate - onRate) / offRate)} lost; " +
            $"each pass: {string.Join(", ", off.Select(r => Report.N0(r.Rate)))} vs {string.Join(", ", on.Select(r => Report.N0(r.Rate)))})");
        run.Report.Print(run.Progress);

        // CPU per change suffers less than wall-clock rates from whatever else runs on the machine.
        foreach (var (label, measure) in new (string, Func<DrainResult, double>)[] { ("second half of the changes", SecondHalfCpuPerChange), ("process start to last accepted", CpuPerChange) })
        {
            var offCpu = Median(off.ConvertAll(r => measure(r)));
            var onCpu = Median(on.ConvertAll(r => measure(r)));
            run.Report.Add(Name, $"{Report.N0(changes)} changes, one channel ({plan.Name}): connector CPU per change, {label}",
                $"{Micro(offCpu)} not listened to, {Micro(onCpu)} listened to ({Percent(100 * (onCpu - offCpu) / offCpu)} more; " +
                $"each pass: {string.Join(", ", off.Select(r => Micro(measure(r))))} vs {string.Join(", ", on.Select(r => Micro(measure(r))))})");
            run.Report.Print(run.Progress);
        }

        run.Report.Note("telemetry: the drain scenario's bulk backlog (100-row statements, one channel) drained by a connector process, alternately with no listener and with OpenTelemetry's SDK " +
            "(AddAblyPgInstrumentation() on both builders: every instrument aggregated and exported in memory every second, every publish span sampled and exported); a first, smaller drain warms up and is not counted; the target applies to the second half of the changes (the steady drain, after start-up and JIT); " +
            "changes/s = changes ÷ (last accepted − first accepted); CPU = the connector process's user + system time, over the second half or from its start (JIT included); " +
            "each figure is the median of its side. A negative difference is noise.");
    }

    private static string Percent(double value) => value.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " %";

    private static double CpuPerChange(DrainResult result) => 1e6 * result.ConnectorCpuSeconds / result.Changes;

    private static double SecondHalfCpuPerChange(DrainResult result) => 1e6 * result.SecondHalfCpuSeconds / (result.Changes - (result.Changes / 2));

    private static string Micro(double value) => value.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) + " µs";

    private static async Task<DrainResult> DrainOnceAsync(BenchmarkRun run, BenchEndpoint endpoint, int changes, bool listened)
    {
        await using var database = await run.Postgres.CreateDatabaseAsync();
        await run.InstallCaptureAsync(database);
        await DrainScenario.FillAsync(database, "bulk", changes);
        await database.ExecuteAsync("VACUUM ANALYZE ablypg.changes");
        await database.ExecuteAsync("CHECKPOINT");
        var result = await BacklogDrain.MeasureAsync(database, endpoint, changes, listened ? Listening : null);
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
