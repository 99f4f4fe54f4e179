using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.Benchmarks.Infrastructure;

namespace AblyPgTyped.Benchmarks.Scenarios.Logical;

/// <summary>
/// A backlog written while no connector ran, drained by a connector process in each capture mode, once per plan: the
/// slot's WAL against the triggers' store, the same changes on the same channel.
/// </summary>
internal static class CaptureDrain
{
    private const string Name = LogicalScenario.Name;

    /// <summary>Issue 8: one channel of ~100-byte rows under the Standard plan.</summary>
    private const double StandardTarget = 10_000;

    private const int RowsPerTransaction = 100;

    private const int Writers = 4;

    public static async Task RunAsync(BenchmarkRun run, PostgresTarget server)
    {
        foreach (var plan in run.Options.Smoke ? run.Options.PlanList.Take(1) : run.Options.PlanList)
        {
            var endpoint = await run.Endpoints.ForAsync(plan);
            var changes = run.Options.DrainChanges(plan);
            var rates = new Dictionary<CaptureMode, DrainResult>();
            foreach (var mode in new[] { CaptureMode.Triggers, CaptureMode.LogicalReplication })
            {
                rates[mode] = await DrainAsync(run, server, endpoint, mode, changes);
            }

            ReportPlan(run, endpoint.Plan, rates);
        }

        run.Report.Note($"{Name} (drain): the backlog is written while no connector runs, by pgbench with {Writers} writers of {RowsPerTransaction}-row INSERT transactions into bench_captured " +
            "(one channel, \"bench\"), then a connector process is started in the mode measured; changes/s = changes ÷ (last accepted − first accepted), as in the drain scenario. " +
            "With triggers the backlog is the store's rows (one per statement); with logical replication it is the WAL the slot kept, decoded by the walsender as the connector reads it, " +
            "so its first message waits for the first transaction to be decoded, and its time from process start includes that.");
    }

    private static async Task<DrainResult> DrainAsync(BenchmarkRun run, PostgresTarget server, BenchEndpoint endpoint, CaptureMode mode, int changes)
    {
        var tag = $"{Name} drain ({endpoint.Plan.Name}, {CaptureWriteCost.Mode(mode)})";
        await using var database = await server.CreateDatabaseAsync();
        await run.InstallCaptureAsync(database, mode);

        var transactions = Math.Max(1, changes / RowsPerTransaction / Writers);
        var written = transactions * Writers * RowsPerTransaction;
        var fill = System.Diagnostics.Stopwatch.StartNew();
        await Pgbench.RunTransactionsAsync(server.BinDirectory, database.ConnectionString, BenchTables.InsertRows(BenchTables.Captured, "100") + ";\n", Writers, transactions);
        await database.ExecuteAsync("VACUUM ANALYZE ablypg.changes");
        await database.ExecuteAsync("CHECKPOINT");
        run.Log($"{tag}: {Report.N0(written)} changes written in {fill.Elapsed.TotalSeconds:0.0} s");

        var result = await BacklogDrain.MeasureAsync(database, endpoint, written, capture: mode);
        run.Log($"{tag}: {(result.Done ? Report.N0(result.Rate) + " changes/s" : result.NotDrained)}, peak RSS {Report.N0(result.PeakRssMb)} MB; {result.CpuSplit}; connector {result.RuntimeStats}");
        return result;
    }

    private static void ReportPlan(BenchmarkRun run, BenchPlan plan, Dictionary<CaptureMode, DrainResult> results)
    {
        var trigger = results[CaptureMode.Triggers];
        foreach (var (mode, result) in results)
        {
            var figure = $"{Report.N0(result.Changes)} changes ({RowsPerTransaction}-row transactions), one channel → accepted, {CaptureWriteCost.Mode(mode)} capture: changes/s";
            if (!result.Done)
            {
                run.Report.Add(Name, figure, result.NotDrained, delivery: result.Delivery);
                run.Report.Print(run.Progress);
                continue;
            }

            var text = $"**{Report.N0(result.Rate)}/s** ({result.SecondHalf}{result.Seconds:0.0} s first→last accepted; {result.FromStart:0.0} s from process start; " +
                       $"peak RSS {Report.N0(result.PeakRssMb)} MB; {result.CpuSplit})";
            var baseline = mode == CaptureMode.Triggers || !trigger.Done
                ? plan.IsLimited ? plan.Ceiling(1, result.BytesPerChange) : ""
                : $"triggers in the same run: {Report.N0(trigger.Rate)}/s ({Report.F2(result.Rate / trigger.Rate)}×)" +
                  (plan.IsLimited ? "; " + plan.Ceiling(1, result.BytesPerChange) : "");
            if (plan == BenchPlan.Standard)
            {
                run.Report.AtLeast(Name, figure, result.Rate, StandardTarget, Report.N0, text, baseline, result.Delivery);
            }
            else
            {
                run.Report.Add(Name, figure, text, baseline, result.Delivery);
            }

            run.Report.Print(run.Progress);
        }
    }
}
