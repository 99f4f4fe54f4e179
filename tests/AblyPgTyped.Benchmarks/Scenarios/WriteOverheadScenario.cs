using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.Benchmarks.Infrastructure;

namespace AblyPgTyped.Benchmarks.Scenarios;

/// <summary>
/// Scenario 1: what capture costs the application's writes. pgbench, same run, same table shape, an uncaptured table
/// against a captured one (insert, update and delete mapped), with the connector stopped and with it draining.
/// </summary>
internal static class WriteOverheadScenario
{
    private const string Name = "write";

    public static async Task RunAsync(BenchmarkRun run)
    {
        var seconds = run.Options.WriteSeconds;
        await using var database = await run.Postgres.CreateDatabaseAsync();
        await run.InstallCaptureAsync(database);

        const string SingleRow = "INSERT INTO {0} (name, email) VALUES ('name', 'user@example.com');\n";
        var hundredRows = BenchTables.InsertRows("{0}", "100") + ";\n";

        // Single-row INSERT transactions, 8 writers. Uncaptured and captured run back to back, a few times over, and the
        // median pair counts: anything else running on the machine moves both runs of a pair alike.
        var (plain, captured, ratios) = await PairsAsync(run, database, SingleRow, 8, seconds, 1);
        var (draining, drained) = await WhileDrainingAsync(run, database,
            () => PgbenchAsync(run, database, SingleRow, BenchTables.Captured, 8, seconds, "captured, connector draining", reset: false));

        // The NOTIFY path, forced: every transaction arms the flag, so its trigger disarms it and notifies.
        var notifying = await PgbenchAsync(run, database, "BEGIN;\nUPDATE ablypg.wakeup SET armed = true;\n" + SingleRow + "END;\n",
            BenchTables.Captured, 8, seconds, "captured, NOTIFY path forced");

        var baseline = $"{Report.N0(plain.Tps)} TPS uncaptured{plain.CpuText}";
        run.Report.AtLeast(Name, "single-row INSERT tx, 8 writers: captured ÷ uncaptured, connector stopped (flag left armed)",
            captured.Tps / plain.Tps, 0.90, Report.F2, $"**{Report.F2(captured.Tps / plain.Tps)}** ({Report.N0(captured.Tps)} TPS{captured.CpuText}; pairs {ratios})", baseline);
        run.Report.Print(run.Progress);
        run.Report.AtLeast(Name, "single-row INSERT tx, 8 writers: captured ÷ uncaptured, connector draining concurrently",
            draining.Tps / plain.Tps, 0.90, Report.F2,
            $"**{Report.F2(draining.Tps / plain.Tps)}** ({Report.N0(draining.Tps)} TPS; {Report.N0(drained.Changes)} changes published meanwhile)", baseline, drained);
        run.Report.Print(run.Progress);
        run.Report.Add(Name, "single-row INSERT tx, 8 writers: NOTIFY path forced in every tx (arm; trigger disarms + notifies) ÷ disarmed",
            $"**{Report.F2(notifying.Tps / captured.Tps)}** ({Report.N0(notifying.Tps)} TPS)", $"{Report.N0(captured.Tps)} TPS disarmed");
        run.Report.Print(run.Progress);

        // 100-row INSERT statements, 4 writers; rows per second.
        var (plainBulk, capturedBulk, bulkRatios) = await PairsAsync(run, database, hundredRows, 4, seconds, 100);
        var (drainingBulk, drainedBulk) = await WhileDrainingAsync(run, database,
            () => PgbenchAsync(run, database, hundredRows, BenchTables.Captured, 4, seconds, "captured, connector draining", reset: false, rowsPerTransaction: 100));

        var bulkBaseline = $"{Report.N0(plainBulk.Rows)} rows/s uncaptured{plainBulk.CpuText}";
        run.Report.AtLeast(Name, "100-row INSERT statements, 4 writers: captured ÷ uncaptured, connector stopped",
            capturedBulk.Rows / plainBulk.Rows, 0.60, Report.F2,
            $"**{Report.F2(capturedBulk.Rows / plainBulk.Rows)}** ({Report.N0(capturedBulk.Rows)} rows/s{capturedBulk.CpuText}; pairs {bulkRatios})", bulkBaseline);
        run.Report.Print(run.Progress);
        run.Report.AtLeast(Name, "100-row INSERT statements, 4 writers: captured ÷ uncaptured, connector draining concurrently",
            drainingBulk.Rows / plainBulk.Rows, 0.60, Report.F2,
            $"**{Report.F2(drainingBulk.Rows / plainBulk.Rows)}** ({Report.N0(drainingBulk.Rows)} rows/s; {Report.N0(drainedBulk.Changes)} changes published meanwhile)", bulkBaseline, drainedBulk);
        run.Report.Print(run.Progress);

        // Issue 9's guards against the capture function they replaced, swapped in turn on the same table.
        var before = await PreIssue9Capture.ReadAsync(database);
        await BeforeAndNowAsync(run, database, before, "single-row INSERT tx, 8 writers", SingleRow, 8, seconds, 1);
        await BeforeAndNowAsync(run, database, before, "100-row INSERT statements, 4 writers", hundredRows, 4, seconds, 100);

        run.Report.Note($"write: pgbench -n -j 2 -T {seconds:0}, default (simple) protocol, tables truncated and CHECKPOINT before each run. Uncaptured and captured (connector stopped) run back to back {run.Options.WriteRepeats} times; the figure is the median pair (every pair's ratio is listed), so load from elsewhere on the machine moves both sides of a pair alike. " +
            "\"PostgreSQL CPU per tx\" is the server's CPU time (postmaster and its children, from /proc) over the run divided by the transactions: " +
            "with 8 writers on 2 cores the server is CPU-bound, so the ratio follows it. " +
            "\"Draining concurrently\": the connector process publishes to the local endpoint on the same 2 cores while pgbench writes. " +
            "The NOTIFY-path row adds an UPDATE of the one-row flag table to every transaction, whose row lock also serialises the writers; it shows what a NOTIFY per transaction would cost, which the edge-triggered wake-up avoids under load. " +
            "Reference (the original's row trigger with pg_notify, measured on this machine kind): 0.38 single-row, about 0.5 bulk. " +
            $"\"Before issue 9\": the INSERT capture of {BenchTables.Captured} as commit 5a4e17c installed it (PreIssue9Capture: its function, and the store's JSON compressed with pglz) and the current one (the store's JSON compressed with {before.Compression}) are swapped in turn, connector stopped, {2 * run.Options.WriteRepeats} runs each, alternating which goes first; " +
            "the figure is the current one's transactions over all its runs ÷ the old one's, each pair's ratio listed.");
    }

    /// <summary>The current INSERT capture function against the one before issue 9, in alternating pairs; the current one is installed again after.</summary>
    private static async Task BeforeAndNowAsync(
        BenchmarkRun run, BenchDatabase database, PreIssue9Capture before, string workload, string script, int clients, double seconds, int rowsPerTransaction)
    {
        var pairs = new List<(PgbenchResult Before, PgbenchResult Now)>();
        try
        {
            for (var i = 0; i < 2 * run.Options.WriteRepeats; i++)
            {
                async Task<PgbenchResult> TimeAsync(bool old)
                {
                    await (old ? before.InstallBeforeAsync() : before.RestoreCurrentAsync());
                    return await PgbenchAsync(run, database, script, BenchTables.Captured, clients, seconds,
                        old ? "captured before issue 9" : "captured", rowsPerTransaction: rowsPerTransaction);
                }

                var first = await TimeAsync(old: i % 2 == 0);
                var second = await TimeAsync(old: i % 2 != 0);
                pairs.Add(i % 2 == 0 ? (first, second) : (second, first));
            }
        }
        finally
        {
            await before.RestoreCurrentAsync();
        }

        var ratio = pairs.Sum(p => p.Now.Tps) / pairs.Sum(p => p.Before.Tps);
        var cpu = pairs.All(p => p.Now.CpuMicrosPerTransaction is not null && p.Before.CpuMicrosPerTransaction is not null)
            ? $"; PostgreSQL CPU per tx {pairs.Average(p => p.Now.CpuMicrosPerTransaction!.Value):0} µs against {pairs.Average(p => p.Before.CpuMicrosPerTransaction!.Value):0} µs"
            : "";
        run.Report.AtLeast(Name, workload + ": current capture function ÷ the one before issue 9, connector stopped", ratio, 1.00, Report.F2,
            $"**{Report.F2(ratio)}** (pairs {string.Join(", ", pairs.Select(p => Report.F2(p.Now.Tps / p.Before.Tps)))}{cpu})",
            $"{Report.N0(pairs.Average(p => p.Before.Tps))} TPS with the function before issue 9 (5a4e17c)");
        run.Report.Print(run.Progress);
    }

    /// <summary>Uncaptured then captured, <see cref="BenchmarkOptions.WriteRepeats"/> times; the pair with the median ratio, and every ratio.</summary>
    private static async Task<(PgbenchResult Plain, PgbenchResult Captured, string Ratios)> PairsAsync(
        BenchmarkRun run, BenchDatabase database, string script, int clients, double seconds, int rowsPerTransaction)
    {
        var pairs = new List<(PgbenchResult Plain, PgbenchResult Captured)>();
        for (var i = 0; i < run.Options.WriteRepeats; i++)
        {
            pairs.Add((await PgbenchAsync(run, database, script, BenchTables.Plain, clients, seconds, "uncaptured", rowsPerTransaction: rowsPerTransaction),
                       await PgbenchAsync(run, database, script, BenchTables.Captured, clients, seconds, "captured, connector stopped", rowsPerTransaction: rowsPerTransaction)));
        }

        var ordered = pairs.OrderBy(p => p.Captured.Tps / p.Plain.Tps).ToList();
        var (plain, captured) = ordered[ordered.Count / 2];
        return (plain, captured, string.Join(", ", pairs.Select(p => Report.F2(p.Captured.Tps / p.Plain.Tps))));
    }

    private static Task<PgbenchResult> PgbenchAsync(
        BenchmarkRun run, BenchDatabase database, string script, string table, int clients, double seconds, string label, bool reset = true, int rowsPerTransaction = 1) =>
        WriteLoad.RunAsync(run, run.Postgres, database, script, table, clients, seconds, $"{Name}: {label}", reset, rowsPerTransaction);

    /// <summary>Runs <paramref name="measure"/> while a connector process drains; returns its figure and the changes published meanwhile.</summary>
    private static async Task<(PgbenchResult Figure, Delivery Published)> WhileDrainingAsync(BenchmarkRun run, BenchDatabase database, Func<Task<PgbenchResult>> measure)
    {
        // The write figures measure the database: the connector drains to the endpoint without limits, as in issue 5.
        await database.ResetTablesAsync();
        var endpoint = await run.Endpoints.UnmeteredAsync();
        await using var child = await run.StartConnectorProcessAsync(database, endpoint);
        using var tracker = endpoint.Track();
        var before = await endpoint.CountersAsync();
        var cpu = CpuMeter.Start(child.ProcessId, run.Postgres.PostmasterProcessId);
        var figure = await measure();
        var published = await Delivery.SinceAsync(endpoint, before, tracker.Count);
        run.Log($"write: while draining, {cpu.Describe()} (pgbench itself not counted)");
        await child.StopAsync();
        return (figure, published);
    }
}
