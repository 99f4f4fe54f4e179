using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.Benchmarks.Infrastructure;

namespace AblyPgTyped.Benchmarks.Scenarios;

/// <summary>
/// Scenario 2: a backlog captured while no connector ran, drained by a connector started in its own process, once per
/// plan. Changes per second until the endpoint has accepted all of them, and the connector process's peak RSS.
/// </summary>
internal static class DrainScenario
{
    private const string Name = "drain";

    /// <summary>Issue 5: the connector's own speed, with no limits anywhere.</summary>
    private const double UnlimitedTarget = 100_000;

    /// <summary>Issue 8: one channel of ~100-byte rows under the Standard plan.</summary>
    private const double StandardTarget = 10_000;

    public static async Task RunAsync(BenchmarkRun run)
    {
        foreach (var plan in run.Options.PlanList)
        {
            var endpoint = await run.Endpoints.ForAsync(plan);
            foreach (var shape in run.Options.DrainShapeList)
            {
                await RunShapeAsync(run, endpoint, shape, run.Options.DrainChanges(plan), null);
            }

            if (!plan.IsLimited)
            {
                // The same bulk drain with the GC held to a heap limit, as in a container with a memory limit.
                await RunShapeAsync(run, endpoint, "bulk", run.Options.DrainChanges(plan), HeapLimit);
            }
        }

        run.Report.Note("drain: inserts into bench_captured, whose insert channel is the single channel \"bench\" (the worst case: one channel's messages are published in order, one request at a time, " +
            "at most 64 KiB of messages per request, 256 KiB under Pro). A row is about 100 bytes as JSON; with its envelope (schema, table, operation, position, capturedAt, key) a change is about 250 bytes. " +
            "The backlog is written while no connector runs, by INSERT statements in DO blocks: " +
            "bulk = 100-row statements (one store row of 100 changes each); single = one row per statement (one store row per change, the shape single-row transactions leave). changes/s = changes ÷ (last accepted − first accepted); " +
            "under a limited plan the channel may carry 47.5 messages/s (95% of 50), so the connector bundles: messages per change = messages accepted ÷ changes, and the baseline column is what the plan's limits allow at the sizes seen. " +
            "peak RSS = VmHWM of the connector process (default ConnectorOptions, workstation GC). The GC sizes its youngest generation from the CPU's last-level cache " +
            "(see the machine line); with a large one the connector's heap grows far beyond its live data before the first collection. The \"GC heap limit 96 MiB\" pass repeats the unlimited bulk drain " +
            "with DOTNET_GCHeapHardLimit=0x6000000 (System.GC.HeapHardLimit, which a 128 MiB container memory limit implies). " +
            "\"Endpoint alone\" (baseline, unlimited) is LocalAbly fed ready-made requests of the same shape by a plain HTTP client, warmed up first: what the endpoint could take.");
    }

    /// <summary>System.GC.HeapHardLimit of 96 MiB, the documented setting a container memory limit of 128 MiB implies (75%).</summary>
    private static readonly Dictionary<string, string> HeapLimit = new() { ["DOTNET_GCHeapHardLimit"] = "0x6000000" };

    private static async Task RunShapeAsync(BenchmarkRun run, BenchEndpoint endpoint, string shape, int changes, IReadOnlyDictionary<string, string>? environment)
    {
        var plan = endpoint.Plan;
        var tag = $"drain ({plan.Name}, {shape}{(environment is null ? "" : ", heap limit")})";
        await using var database = await run.Postgres.CreateDatabaseAsync();
        await run.InstallCaptureAsync(database);

        var fill = Stopwatch.StartNew();
        await FillAsync(database, shape, changes);
        await database.ExecuteAsync("VACUUM ANALYZE ablypg.changes");
        await database.ExecuteAsync("CHECKPOINT");
        var storeRows = await database.ScalarAsync<long>("SELECT count(*) FROM ablypg.changes");
        run.Log($"{tag}: {Report.N0(changes)} changes in {Report.N0(storeRows)} store rows, written in {fill.Elapsed.TotalSeconds:0.0} s");

        if (run.Options.Explain)
        {
            await ExplainAsync(run, database);
        }

        // Same-run baseline without limits: the endpoint alone, fed ready-made requests of the same shape (this also warms it up).
        double? ceiling = null;
        if (!plan.IsLimited)
        {
            await EndpointCeiling.MeasureAsync(endpoint, Math.Min(changes, 100_000), channelsPerRequest: 1, concurrency: 1); // warm-up
            ceiling = await EndpointCeiling.MeasureAsync(endpoint, Math.Min(changes, 200_000), channelsPerRequest: 1, concurrency: 1);
            run.Log($"{tag}: endpoint alone, one channel, one request at a time: {Report.N0(ceiling.Value)} messages/s");
        }

        var result = await BacklogDrain.MeasureAsync(database, endpoint, changes, environment);
        run.Log($"{tag}: connector runtime: {result.RuntimeStats}");

        var label = (shape == "bulk" ? "100-row statements" : "single-row statements") + (environment is null ? "" : ", GC heap limit 96 MiB");
        var figure = $"{Report.N0(changes)} changes ({label}), one channel → accepted: changes/s";
        if (!result.Done)
        {
            run.Report.Add(Name, figure, result.NotDrained, delivery: result.Delivery);
            run.Report.Print(run.Progress);
            return;
        }

        var requests = result.Delivery.Counted.BatchRequests;
        run.Log($"{tag}: {Report.N0(result.Rate)} changes/s, {Report.N0(requests)} requests, {Report.N0(result.Delivery.Counted.AcceptedMessages)} messages, " +
                $"{result.Delivery.RateLimitedText} refused with 429, peak RSS {Report.N0(result.PeakRssMb)} MB, {result.Delivery.Counted.DuplicateMessages} duplicates, " +
                $"{result.StoreRowsLeft} store rows left; {result.CpuSplit}");
        if (environment is null)
        {
            run.Figures[$"drain {plan.Name} {shape}"] = result.Rate;
        }

        var text = $"**{Report.N0(result.Rate)}/s** ({result.SecondHalf}{result.Seconds:0.0} s first→last accepted; {result.FromStart:0.0} s from process start; {Report.N0(requests)} requests" +
                   (plan.IsLimited ? $"; peak RSS {Report.N0(result.PeakRssMb)} MB)" : ")");
        var baseline = ceiling is { } alone
            ? $"endpoint alone: {Report.N0(alone)}/s on one channel (original: ~2,000/s)"
            : plan.Ceiling(1, result.BytesPerChange);
        double? target = plan == BenchPlan.Standard ? StandardTarget : plan.IsLimited ? null : UnlimitedTarget;
        if (target is { } least)
        {
            run.Report.AtLeast(Name, figure, result.Rate, least, Report.N0, text, baseline, result.Delivery);
        }
        else
        {
            run.Report.Add(Name, figure, text, baseline, result.Delivery);
        }

        run.Report.Print(run.Progress);
        if (!plan.IsLimited)
        {
            run.Report.AtMost(Name, $"{Report.N0(changes)} changes ({label}): connector peak RSS (VmHWM)", result.PeakRssMb, 150, v => Report.N0(v) + " MB",
                $"**{Report.N0(result.PeakRssMb)} MB**", delivery: result.Delivery);
            run.Report.Print(run.Progress);
        }

        run.Report.Add(Name, $"{Report.N0(changes)} changes ({label}): where the time went, process start → last accepted", $"{result.CpuSplit}; connector {result.RuntimeStats}",
            delivery: result.Delivery);
        run.Report.Print(run.Progress);
    }

    internal static async Task FillAsync(BenchDatabase database, string shape, int changes)
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
}
