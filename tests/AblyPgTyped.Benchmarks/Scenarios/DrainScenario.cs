using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.Benchmarks.Infrastructure;

namespace AblyPgTyped.Benchmarks.Scenarios;

/// <summary>
/// Scenario 2: a backlog captured while no connector ran, drained by a connector started in its own process.
/// Changes per second until the endpoint has accepted all of them, and the connector process's peak RSS.
/// </summary>
internal static class DrainScenario
{
    private const string Name = "drain";

    public static async Task RunAsync(BenchmarkRun run)
    {
        foreach (var shape in run.Options.DrainShapeList)
        {
            await RunShapeAsync(run, shape, run.Options.DrainChanges, null);
        }

        // The same bulk drain with the GC held to a heap limit, as in a container with a memory limit.
        await RunShapeAsync(run, "bulk", run.Options.DrainChanges, HeapLimit);

        run.Report.Note("drain: inserts into bench_captured, whose insert channel is the single channel \"bench\" (the worst case: one channel's messages are published in order, one request at a time, " +
            "at most 64 KiB of messages per request). The backlog is written while no connector runs, by INSERT statements in DO blocks: " +
            "bulk = 100-row statements (one store row of 100 changes each); single = one row per statement (one store row per change, the shape single-row transactions leave). changes/s = changes ÷ (last accepted − first accepted); " +
            "peak RSS = VmHWM of the connector process (default ConnectorOptions, workstation GC). The GC sizes its youngest generation from the CPU's last-level cache " +
            "(see the machine line); with a large one the connector's heap grows far beyond its live data before the first collection. The \"GC heap limit 96 MiB\" pass repeats the bulk drain " +
            "with DOTNET_GCHeapHardLimit=0x6000000 (System.GC.HeapHardLimit, which a 128 MiB container memory limit implies). " +
            "\"Endpoint alone\" (baseline) is LocalAbly fed ready-made requests of the same shape by a plain HTTP client, warmed up first: what the endpoint could take.");
    }

    /// <summary>System.GC.HeapHardLimit of 96 MiB, the documented setting a container memory limit of 128 MiB implies (75%).</summary>
    private static readonly Dictionary<string, string> HeapLimit = new() { ["DOTNET_GCHeapHardLimit"] = "0x6000000" };

    private static async Task RunShapeAsync(BenchmarkRun run, string shape, int changes, IReadOnlyDictionary<string, string>? environment)
    {
        await using var database = await run.Postgres.CreateDatabaseAsync();
        await run.InstallCaptureAsync(database);

        var fill = Stopwatch.StartNew();
        await FillAsync(database, shape, changes);
        await database.ExecuteAsync("VACUUM ANALYZE ablypg.changes");
        await database.ExecuteAsync("CHECKPOINT");
        var storeRows = await database.ScalarAsync<long>("SELECT count(*) FROM ablypg.changes");
        run.Log($"drain ({shape}): {Report.N0(changes)} changes in {Report.N0(storeRows)} store rows, written in {fill.Elapsed.TotalSeconds:0.0} s");

        if (run.Options.Explain)
        {
            await ExplainAsync(run, database);
        }

        // Same-run baseline: the endpoint alone, fed ready-made requests of the same shape (this also warms it up).
        await EndpointCeiling.MeasureAsync(run.Endpoint, Math.Min(changes, 100_000), channelsPerRequest: 1, concurrency: 1); // warm-up
        var ceiling = await EndpointCeiling.MeasureAsync(run.Endpoint, Math.Min(changes, 200_000), channelsPerRequest: 1, concurrency: 1);
        run.Log($"drain ({shape}): endpoint alone, one channel, one request at a time: {Report.N0(ceiling)} messages/s");

        using var tracker = run.Endpoint.Track();
        var before = await run.Endpoint.CountersAsync();
        await using var child = ConnectorChild.Start(database.ConnectionString, run.Endpoint, environment);
        var cpu = CpuMeter.Start(child.ProcessId, run.Postgres.PostmasterProcessId);
        var timeout = TimeSpan.FromSeconds(Math.Max(120, changes / 2_000.0));
        var done = await tracker.WaitForAsync(changes, timeout);
        var peakRss = child.PeakRssBytes();
        var cpuSplit = cpu.Describe();
        var after = await run.Endpoint.CountersAsync();
        var left = await WaitForEmptyStoreAsync(database);
        await child.StopAsync();
        run.Log($"drain ({shape}): connector runtime: {child.RuntimeStats}");

        var label = (shape == "bulk" ? "100-row statements" : "single-row statements") + (environment is null ? "" : ", GC heap limit 96 MiB");
        if (!done)
        {
            run.Report.Add(Name, $"{Report.N0(changes)} changes ({label}): not drained", $"only {Report.N0(tracker.Count)} accepted within {timeout.TotalSeconds:0} s");
            return;
        }

        var seconds = BenchmarkRun.Seconds(tracker.FirstTimestamp, tracker.LastTimestamp);
        var total = BenchmarkRun.Seconds(child.StartedTimestamp, tracker.LastTimestamp);
        var rate = changes / seconds;
        var requests = after.BatchRequests - before.BatchRequests;
        run.Log($"drain ({shape}): {Report.N0(rate)} changes/s, {Report.N0(requests)} requests, peak RSS {Report.N0(peakRss / 1e6)} MB, {after.DuplicateMessages - before.DuplicateMessages} duplicates, {left} store rows left; {cpuSplit}");

        run.Report.AtLeast(Name, $"{Report.N0(changes)} changes ({label}) → accepted: changes/s", rate, 100_000, Report.N0,
            $"**{Report.N0(rate)}/s** ({seconds:0.0} s first→last accepted; {total:0.0} s from process start; {Report.N0(requests)} requests)",
            $"endpoint alone: {Report.N0(ceiling)}/s on one channel (original: ~2,000/s)");
        run.Report.Print(run.Progress);
        run.Report.AtMost(Name, $"{Report.N0(changes)} changes ({label}): connector peak RSS (VmHWM)", peakRss / 1e6, 150, v => Report.N0(v) + " MB",
            $"**{Report.N0(peakRss / 1e6)} MB**");
        run.Report.Print(run.Progress);
        run.Report.Add(Name, $"{Report.N0(changes)} changes ({label}): where the time went, process start → last accepted", $"{cpuSplit}; connector {child.RuntimeStats}");
        run.Report.Print(run.Progress);
    }

    private static async Task FillAsync(BenchDatabase database, string shape, int changes)
    {
        // Statements run inside DO blocks (a transaction per block); every statement fires the capture triggers as a client's would.
        var perStatement = shape == "bulk" ? 100 : 1;
        var statements = changes / perStatement;
        var perBlock = shape == "bulk" ? 1_000 : 50_000;
        for (var done = 0; done < statements; done += perBlock)
        {
            var count = Math.Min(perBlock, statements - done);
            await database.ExecuteAsync(
                $"DO $$ BEGIN FOR i IN 1..{count} LOOP {BenchTables.InsertRows(BenchTables.Captured, perStatement.ToString(System.Globalization.CultureInfo.InvariantCulture))}; END LOOP; END $$");
        }

        var remainder = changes - (statements * perStatement);
        if (remainder > 0)
        {
            await database.ExecuteAsync(BenchTables.InsertRows(BenchTables.Captured, remainder.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
    }

    /// <summary>The plans of the drain's read and delete (the connector's SQL, copied here), on the full backlog; the delete is rolled back.</summary>
    private static async Task ExplainAsync(BenchmarkRun run, BenchDatabase database)
    {
        const string Read =
            "SELECT id, table_schema, table_name, op, n, captured_at, data FROM " +
            "(SELECT id, table_schema, table_name, op, n, captured_at, data, sum(n) OVER (ORDER BY id ROWS UNBOUNDED PRECEDING) AS upto " +
            "FROM ablypg.changes ORDER BY id LIMIT 10000) c WHERE upto - n < 10000 ORDER BY id";
        const string Delete = "DELETE FROM ablypg.changes WHERE id BETWEEN $2 AND $3 AND id = ANY($1)";
        await using var connection = await database.Source.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var ids = new System.Collections.Generic.List<long>();
        await using (var read = new Npgsql.NpgsqlCommand(Read, connection, transaction))
        await using (var rows = await read.ExecuteReaderAsync())
        {
            while (await rows.ReadAsync())
            {
                ids.Add(rows.GetInt64(0));
            }
        }

        foreach (var (sql, parameter) in new[] { (Read, (long[]?)null), (Delete, ids.ToArray()) })
        {
            await using var command = new Npgsql.NpgsqlCommand("EXPLAIN (ANALYZE, BUFFERS) " + sql, connection, transaction);
            if (parameter is not null)
            {
                command.Parameters.Add(new Npgsql.NpgsqlParameter<long[]> { TypedValue = parameter });
                command.Parameters.Add(new Npgsql.NpgsqlParameter<long> { TypedValue = parameter.Min() });
                command.Parameters.Add(new Npgsql.NpgsqlParameter<long> { TypedValue = parameter.Max() });
            }

            await using var reader = await command.ExecuteReaderAsync();
            var plan = new System.Text.StringBuilder();
            while (await reader.ReadAsync())
            {
                var line = reader.GetString(0);
                plan.AppendLine("    " + (line.Length > 160 ? line[..160] + "…" : line));
            }

            run.Log($"EXPLAIN (ANALYZE, BUFFERS) {sql}{(parameter is null ? "" : $" -- $1 = {parameter.Length} ids")}\n{plan}");
        }

        await transaction.RollbackAsync();
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
