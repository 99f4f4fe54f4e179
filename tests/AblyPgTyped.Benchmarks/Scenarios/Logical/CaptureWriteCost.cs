using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.Benchmarks.Infrastructure;

namespace AblyPgTyped.Benchmarks.Scenarios.Logical;

/// <summary>
/// What each capture mode costs the application's writes, on one server with <c>wal_level=logical</c>: pgbench on an
/// uncaptured table, the same table captured by triggers and captured by logical replication, back to back; then each
/// mode again while its connector drains, with the server's CPU per transaction (the walsender's decoding and the
/// connector's session included) until the connector has published every change.
/// </summary>
internal static class CaptureWriteCost
{
    private const string Name = LogicalScenario.Name;

    /// <summary>Issue 11: logical capture leaves writers at least this share of their uncaptured throughput, connector stopped.</summary>
    private const double LogicalThroughputTarget = 0.97;

    /// <summary>Issue 11: the server's CPU per transaction while logical capture drains, at most this multiple of uncaptured.</summary>
    private const double LogicalCpuTarget = 1.10;

    private static readonly Workload[] Workloads =
    [
        new("single-row INSERT tx, 8 writers", "INSERT INTO {0} (name, email) VALUES ('name', 'user@example.com');\n", 8, 1, TriggerTarget: 0.90),
        new("100-row INSERT statements, 4 writers", BenchTables.InsertRows("{0}", "100") + ";\n", 4, 100, TriggerTarget: 0.60),
    ];

    public static async Task RunAsync(BenchmarkRun run, PostgresTarget server)
    {
        // Two databases of one server: one captured by triggers (its uncaptured table is the baseline), one by a slot.
        await using var triggers = await server.CreateDatabaseAsync();
        await run.InstallCaptureAsync(triggers, CaptureMode.Triggers);
        await using var logical = await server.CreateDatabaseAsync();
        await run.InstallCaptureAsync(logical, CaptureMode.LogicalReplication);
        var databases = new Dictionary<CaptureMode, BenchDatabase> { [CaptureMode.Triggers] = triggers, [CaptureMode.LogicalReplication] = logical };

        foreach (var workload in run.Options.Smoke ? Workloads[..1] : Workloads)
        {
            await RunWorkloadAsync(run, server, workload, databases);
        }

        run.Report.Note($"{Name} (write): one server with wal_level=logical for every run, so both modes and the baseline share its WAL format. pgbench -n -j 2 -T {run.Options.WriteSeconds:0}, " +
            "tables truncated and CHECKPOINT before each run; uncaptured (bench_plain), triggers (bench_captured with the connector's triggers) and logical (bench_captured in a second database, " +
            $"in the publications, its slot kept) run back to back {run.Options.WriteRepeats} times and each mode's median run against the uncaptured run beside it is reported. " +
            "The slot is moved to the WAL's end before every run (as a connector that keeps up leaves it), so each run starts with the same recycled WAL segments; during a run it keeps the run's WAL, as a stopped connector's slot does. " +
            "\"Draining\": the connector process (no limits, one message per change, as in the write scenario) runs throughout; the server's CPU (postmaster and every child: backends, walsender, checkpointer, from /proc) " +
            "is read from just before pgbench until the endpoint has accepted every change written and the server is idle again, and divided by the transactions; the baseline is the uncaptured runs' median CPU per transaction. " +
            "It is split by process: closed sessions (pgbench's backends, which exit with it) and the postmaster; the walsender (decoding the WAL, logical mode only); the live sessions, which are the connector's " +
            "(its leader session: the trigger store's reads and deletes, the slot's lag reads; and its fence session: a pg_locks check at most once per 100 ms of publishing); and the server's own processes. " +
            "\"PostgreSQL's own client\": pg_recvlogical reads a slot of its own for the same publications (proto_version 1, text, as the connector) and writes to /dev/null, with no connector running, measured the same way until it has confirmed the last write: the floor under any pgoutput consumer.");
    }

    private static async Task RunWorkloadAsync(BenchmarkRun run, PostgresTarget server, Workload workload, Dictionary<CaptureMode, BenchDatabase> databases)
    {
        var seconds = run.Options.WriteSeconds;
        var slot = databases[CaptureMode.LogicalReplication];
        var triplets = new List<(PgbenchResult Plain, PgbenchResult Triggers, PgbenchResult Logical)>();
        for (var i = 0; i < run.Options.WriteRepeats; i++)
        {
            await slot.AdvanceSlotAsync();
            var plain = await WriteLoad.RunAsync(run, server, databases[CaptureMode.Triggers], workload.Script, BenchTables.Plain, workload.Clients, seconds,
                $"{Name}: uncaptured", rowsPerTransaction: workload.Rows);
            await slot.AdvanceSlotAsync();
            var trigger = await WriteLoad.RunAsync(run, server, databases[CaptureMode.Triggers], workload.Script, BenchTables.Captured, workload.Clients, seconds,
                $"{Name}: triggers, connector stopped", rowsPerTransaction: workload.Rows);
            await slot.AdvanceSlotAsync();
            var logical = await WriteLoad.RunAsync(run, server, slot, workload.Script, BenchTables.Captured, workload.Clients, seconds,
                $"{Name}: logical, connector stopped", rowsPerTransaction: workload.Rows);
            triplets.Add((plain, trigger, logical));
        }

        var plainCpu = Median(triplets.Select(t => t.Plain.CpuMicrosPerTransaction));
        var stopped = new Dictionary<CaptureMode, (PgbenchResult Plain, PgbenchResult Captured, string Ratios, string CpuRatios)>
        {
            [CaptureMode.Triggers] = MedianPair(triplets.Select(t => (t.Plain, t.Triggers)).ToList()),
            [CaptureMode.LogicalReplication] = MedianPair(triplets.Select(t => (t.Plain, t.Logical)).ToList()),
        };
        var draining = new Dictionary<CaptureMode, Draining>();
        foreach (var mode in new[] { CaptureMode.Triggers, CaptureMode.LogicalReplication })
        {
            await slot.AdvanceSlotAsync();
            draining[mode] = await WhileDrainingAsync(run, server, databases[mode], mode, workload);
        }

        var floor = await WhilePostgresOwnClientReadsAsync(run, server, slot, workload);
        ReportStopped(run, workload, stopped);
        ReportDraining(run, workload, stopped, draining, plainCpu, floor);
    }

    private static void ReportStopped(BenchmarkRun run, Workload workload, Dictionary<CaptureMode, (PgbenchResult Plain, PgbenchResult Captured, string Ratios, string CpuRatios)> stopped)
    {
        // CPU per transaction moves far less than throughput with load from elsewhere on the machine: each run's, beside the uncaptured run's.
        string Text((PgbenchResult Plain, PgbenchResult Captured, string Ratios, string CpuRatios) m) =>
            $"**{Report.F2(Ratio(m))}** ({workload.Rate(m.Captured)}{m.Captured.CpuText}; runs {m.Ratios}; CPU per tx ÷ uncaptured, run by run: {m.CpuRatios})";
        var trigger = stopped[CaptureMode.Triggers];
        var logical = stopped[CaptureMode.LogicalReplication];

        run.Report.AtLeast(Name, $"{workload.Label}: logical capture, connector stopped (table published, slot kept): captured ÷ uncaptured throughput",
            Ratio(logical), LogicalThroughputTarget, Report.F2, Text(logical),
            $"{workload.Rate(logical.Plain)} uncaptured{logical.Plain.CpuText}; triggers in the same runs: {Report.F2(Ratio(trigger))}");
        run.Report.Print(run.Progress);
        run.Report.AtLeast(Name, $"{workload.Label}: trigger capture, connector stopped: captured ÷ uncaptured throughput",
            Ratio(trigger), workload.TriggerTarget, Report.F2, Text(trigger), $"{workload.Rate(trigger.Plain)} uncaptured{trigger.Plain.CpuText}");
        run.Report.Print(run.Progress);
    }

    private static void ReportDraining(
        BenchmarkRun run, Workload workload, Dictionary<CaptureMode, (PgbenchResult Plain, PgbenchResult Captured, string Ratios, string CpuRatios)> stopped,
        Dictionary<CaptureMode, Draining> draining, double? plainCpu, (double? Cpu, string Split) floor)
    {
        var trigger = draining[CaptureMode.Triggers];
        var logical = draining[CaptureMode.LogicalReplication];
        var plain = stopped[CaptureMode.LogicalReplication].Plain;
        var triggerPlain = stopped[CaptureMode.Triggers].Plain;
        if (plainCpu is { } cpu && logical.CpuMicrosPerTransaction is { } logicalCpu && trigger.CpuMicrosPerTransaction is { } triggerCpu)
        {
            run.Report.AtMost(Name, $"{workload.Label}: logical capture, connector draining concurrently: PostgreSQL CPU per tx, captured ÷ uncaptured (walsender included)",
                logicalCpu / cpu, LogicalCpuTarget, Report.F2,
                $"**{Report.F2(logicalCpu / cpu)}** ({logicalCpu:0} µs per tx: {logical.CpuSplit}; {Report.N0(logical.Published.Changes)} changes published in {Report.N0(logical.Published.Counted.BatchRequests)} requests)",
                $"{cpu:0} µs per tx uncaptured; triggers in the same run: {Report.F2(triggerCpu / cpu)} ({triggerCpu:0} µs)", logical.Published);
            run.Report.Print(run.Progress);
            if (floor.Cpu is { } floorCpu)
            {
                run.Report.Add(Name, $"{workload.Label}: PostgreSQL's own client (pg_recvlogical) reading the same publications, no connector: PostgreSQL CPU per tx ÷ uncaptured (walsender included)",
                    $"**{Report.F2(floorCpu / cpu)}** ({floorCpu:0} µs per tx: {floor.Split})",
                    $"{cpu:0} µs per tx uncaptured; the connector in the same run: {Report.F2(logicalCpu / cpu)}");
                run.Report.Print(run.Progress);
            }

            run.Report.Add(Name, $"{workload.Label}: trigger capture, connector draining concurrently: PostgreSQL CPU per tx, captured ÷ uncaptured (the drain's reads and deletes included)",
                $"**{Report.F2(triggerCpu / cpu)}** ({triggerCpu:0} µs per tx: {trigger.CpuSplit}; {Report.N0(trigger.Published.Changes)} changes published in {Report.N0(trigger.Published.Counted.BatchRequests)} requests)", $"{cpu:0} µs per tx uncaptured", trigger.Published);
            run.Report.Print(run.Progress);
        }
        else
        {
            run.Report.Add(Name, $"{workload.Label}: PostgreSQL CPU per tx while draining", "not measured: the server was not started by this program");
        }

        run.Report.AtLeast(Name, $"{workload.Label}: logical capture, connector draining concurrently: captured ÷ uncaptured throughput",
            logical.Result.Tps / plain.Tps, workload.TriggerTarget, Report.F2, $"**{Report.F2(logical.Result.Tps / plain.Tps)}** ({workload.Rate(logical.Result)})",
            $"{workload.Rate(plain)} uncaptured; triggers in the same run: {Report.F2(trigger.Result.Tps / triggerPlain.Tps)}", logical.Published);
        run.Report.Print(run.Progress);
        run.Report.AtLeast(Name, $"{workload.Label}: trigger capture, connector draining concurrently: captured ÷ uncaptured throughput",
            trigger.Result.Tps / triggerPlain.Tps, workload.TriggerTarget, Report.F2, $"**{Report.F2(trigger.Result.Tps / triggerPlain.Tps)}** ({workload.Rate(trigger.Result)})",
            $"{workload.Rate(triggerPlain)} uncaptured", trigger.Published);
        run.Report.Print(run.Progress);
    }

    /// <summary>
    /// pgbench while a connector process drains; the server's CPU from just before it until every change written was
    /// accepted and the server settled, per transaction.
    /// </summary>
    private static async Task<Draining> WhileDrainingAsync(BenchmarkRun run, PostgresTarget server, BenchDatabase database, CaptureMode mode, Workload workload)
    {
        var label = $"{Name}: {Mode(mode)}, connector draining";
        await database.ResetTablesAsync();
        if (mode == CaptureMode.LogicalReplication)
        {
            await database.AdvanceSlotAsync(); // the truncate's WAL: the connector starts at the end
        }

        var endpoint = await run.Endpoints.UnmeteredAsync();
        await using var child = await run.StartConnectorProcessAsync(database, endpoint, mode);
        using var tracker = endpoint.Track();
        var before = await endpoint.CountersAsync();
        var postmaster = database.PostmasterProcessId;
        var cpuBefore = postmaster is { } p ? await CpuMeter.SettledPostgresBreakdownAsync(p) : default;
        var tps = await Pgbench.RunAsync(server.BinDirectory, database.ConnectionString, WriteLoad.Script(workload.Script, BenchTables.Captured), workload.Clients,
            run.Options.WriteSeconds);
        var written = await database.ScalarAsync<long>($"SELECT count(*) FROM {BenchTables.Captured}");
        var caughtUp = Stopwatch.StartNew();
        if (!await tracker.WaitForAsync(written, TimeSpan.FromMinutes(5)))
        {
            throw new TimeoutException($"{label}: only {tracker.Count} of {written} changes were published within 5 minutes of the writes.");
        }

        var transactions = WriteLoad.Transactions(tps, run.Options.WriteSeconds);
        var used = postmaster is { } q ? await CpuMeter.SettledPostgresBreakdownAsync(q) - cpuBefore : (PostgresCpu?)null;
        double? cpu = used is { } u ? u.Total / transactions * 1e6 : null;
        var split = used is { } v ? v.PerTransaction(transactions) : "";
        var published = await Delivery.SinceAsync(endpoint, before, tracker.Count);
        run.Log($"{label}: {workload.Clients} writers, {workload.Rows} row(s)/tx: {Report.N0(tps)} TPS; {Report.N0(written)} changes, all published " +
                $"{caughtUp.Elapsed.TotalSeconds:0.0} s after the writes ended; {(cpu is { } c ? $"{c:0} µs PostgreSQL CPU per tx ({split})" : "CPU not measured")}");
        await child.StopAsync();
        return new Draining(new PgbenchResult(tps, tps * workload.Rows, null), cpu, split, published);
    }

    /// <summary>
    /// pgbench while PostgreSQL's own client reads the slot's publications and discards what it reads: what decoding
    /// costs the server with a client that costs nothing, measured as <see cref="WhileDrainingAsync"/> measures.
    /// </summary>
    private static async Task<(double? Cpu, string Split)> WhilePostgresOwnClientReadsAsync(BenchmarkRun run, PostgresTarget server, BenchDatabase database, Workload workload)
    {
        await database.ResetTablesAsync();
        await database.AdvanceSlotAsync();
        await using var client = await PgRecvLogical.StartAsync(server.BinDirectory, database);
        var postmaster = database.PostmasterProcessId;
        var cpuBefore = postmaster is { } p ? await CpuMeter.SettledPostgresBreakdownAsync(p) : default;
        var tps = await Pgbench.RunAsync(server.BinDirectory, database.ConnectionString, WriteLoad.Script(workload.Script, BenchTables.Captured), workload.Clients,
            run.Options.WriteSeconds);
        await client.CatchUpAsync(TimeSpan.FromMinutes(5));
        var transactions = WriteLoad.Transactions(tps, run.Options.WriteSeconds);
        var used = postmaster is { } q ? await CpuMeter.SettledPostgresBreakdownAsync(q) - cpuBefore : (PostgresCpu?)null;
        double? cpu = used is { } u ? u.Total / transactions * 1e6 : null;
        var split = used is { } v ? v.PerTransaction(transactions) : "";
        run.Log($"{Name}: pg_recvlogical reading: {workload.Clients} writers, {workload.Rows} row(s)/tx: {Report.N0(tps)} TPS; " +
                $"{(cpu is { } c ? $"{c:0} µs PostgreSQL CPU per tx ({split})" : "CPU not measured")}");
        return (cpu, split);
    }

    private static (PgbenchResult Plain, PgbenchResult Captured, string Ratios, string CpuRatios) MedianPair(List<(PgbenchResult Plain, PgbenchResult Captured)> pairs)
    {
        var ordered = pairs.OrderBy(p => p.Captured.Tps / p.Plain.Tps).ToList();
        var (plain, captured) = ordered[ordered.Count / 2];
        return (plain, captured, string.Join(", ", pairs.Select(p => Report.F2(p.Captured.Tps / p.Plain.Tps))),
            string.Join(", ", pairs.Select(p => p.Captured.CpuMicrosPerTransaction is { } c && p.Plain.CpuMicrosPerTransaction is { } u ? Report.F2(c / u) : "—")));
    }

    private static double Ratio((PgbenchResult Plain, PgbenchResult Captured, string Ratios, string CpuRatios) m) => m.Captured.Tps / m.Plain.Tps;

    private static double? Median(IEnumerable<double?> values)
    {
        var known = values.OfType<double>().Order().ToList();
        return known.Count == 0 ? null : known[known.Count / 2];
    }

    internal static string Mode(CaptureMode mode) => mode == CaptureMode.Triggers ? "triggers" : "logical";

    private sealed record Workload(string Label, string Script, int Clients, int Rows, double TriggerTarget)
    {
        public string Rate(PgbenchResult result) => Rows == 1 ? $"{Report.N0(result.Tps)} TPS" : $"{Report.N0(result.Rows)} rows/s";
    }

    private sealed record Draining(PgbenchResult Result, double? CpuMicrosPerTransaction, string CpuSplit, Delivery Published);
}
