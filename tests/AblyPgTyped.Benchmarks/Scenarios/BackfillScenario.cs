using System.Diagnostics;
using System.Threading.Tasks;
using AblyPgTyped.Benchmarks.Infrastructure;
using AblyPgTyped.Benchmarks.Scenarios.Logical;

namespace AblyPgTyped.Benchmarks.Scenarios;

/// <summary>
/// A backfill of a table that holds rows captured before nobody asked for them: rows per second from the request until
/// Ably accepted every snapshot, with the connector at the Standard plan's limits and bundling on (the defaults), in each
/// capture mode (logical replication on a server of its own, started with <c>wal_level=logical</c>).
/// </summary>
internal static class BackfillScenario
{
    private const string Name = "backfill";

    public static async Task RunAsync(BenchmarkRun run)
    {
        var rows = run.Options.Changes ?? (run.Options.Smoke ? 5_000 : 1_000_000);
        await using (var database = await run.Postgres.CreateDatabaseAsync())
        {
            await run.InstallCaptureAsync(database);
            await database.ExecuteAsync($"ALTER TABLE {BenchTables.Captured} DISABLE TRIGGER USER");
            await FillAsync(database, rows);
            await database.ExecuteAsync($"ALTER TABLE {BenchTables.Captured} ENABLE TRIGGER USER");
            await MeasureAsync(run, database, CaptureMode.Triggers, rows);
        }

        await using (var server = await PostgresTarget.StartAsync(logical: true))
        await using (var database = await server.CreateDatabaseAsync())
        {
            run.Report.Header.Add($"database of the {Name} scenario's logical run: {server.Description}");
            // Filled before the slot exists, so that nothing of it is captured.
            await FillAsync(database, rows);
            await run.InstallCaptureAsync(database, CaptureMode.LogicalReplication);
            await MeasureAsync(run, database, CaptureMode.LogicalReplication, rows);
        }

        run.Report.Note("backfill: bench_captured filled with nothing captured (triggers disabled; or before the replication slot existed), then BackfillAsync<BenchRow>() with " +
                        "default options (chunks of 500 rows); every snapshot goes to the insert channel \"bench\", so the figure is bounded by one channel's rate at the " +
                        "Standard plan (95% of 50 messages/s) times the bundle size. With logical replication each chunk travels through the slot; done = the slot confirmed past the last chunk.");
    }

    private static async Task FillAsync(BenchDatabase database, int rows)
    {
        await database.ExecuteAsync(BenchTables.InsertRows(BenchTables.Captured, rows.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        await database.ExecuteAsync($"VACUUM ANALYZE {BenchTables.Captured}");
    }

    private static async Task MeasureAsync(BenchmarkRun run, BenchDatabase database, CaptureMode mode, int rows)
    {
        var options = run.ConnectorOptions(database, await run.Endpoints.ForAsync(BenchPlan.Standard), mode); // bundling on, as by default
        await using var connector = new Connector(options);
        await connector.StartAsync();
        var clock = Stopwatch.StartNew();
        var requested = await connector.BackfillAsync<BenchRow>();
        var status = await connector.WaitForBackfillAsync(requested.Id);
        var seconds = clock.Elapsed.TotalSeconds;
        await connector.StopAsync();

        var rate = status.RowsDone / seconds;
        var capture = CaptureWriteCost.Mode(mode);
        run.Log($"backfill ({capture}): {Report.N0(status.RowsDone)} rows ({status.State}) in {seconds:0.0} s: {Report.N0(rate)} rows/s");
        run.Report.Add(Name, $"{Report.N0(rows)} rows, one insert channel, Standard plan, bundling on, {capture} capture: rows/s, request → all accepted",
            $"**{Report.N0(rate)}/s** ({seconds:0.0} s)", "one channel's limit: 50 messages/s × 500 changes per bundle");
        run.Report.Print(run.Progress);
    }
}
