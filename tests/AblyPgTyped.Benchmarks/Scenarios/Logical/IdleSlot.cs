using System;
using System.Diagnostics;
using System.Threading.Tasks;
using AblyPgTyped.Benchmarks.Infrastructure;

namespace AblyPgTyped.Benchmarks.Scenarios.Logical;

/// <summary>
/// A quiet database's slot while another database of the server writes: its connector runs, has nothing to publish,
/// and must still let the slot follow the server's WAL (PostgreSQL decodes every database's WAL for every slot, and a
/// slot keeps whatever its connector has not confirmed). WAL kept by the slot, in bytes, after the idle time.
/// </summary>
internal static class IdleSlot
{
    private const string Name = LogicalScenario.Name;

    /// <summary>"A few MB": less than one 16 MB WAL segment, PostgreSQL's unit of keeping and removing WAL.</summary>
    private const double TargetBytes = 16 * 1024 * 1024;

    /// <summary>The documented figure's idle time.</summary>
    public const double DocumentedMinutes = 10;

    private static readonly TimeSpan SampleInterval = TimeSpan.FromSeconds(5);

    /// <summary>The busy database's pace: <see cref="RowsPerWrite"/> rows every <see cref="WriteInterval"/>.</summary>
    private static readonly TimeSpan WriteInterval = TimeSpan.FromMilliseconds(100);

    private const int RowsPerWrite = 200;

    private const string SlotSql =
        "SELECT (pg_current_wal_lsn() - restart_lsn)::bigint, (pg_current_wal_lsn() - confirmed_flush_lsn)::bigint, pg_current_wal_lsn()::text " +
        "FROM pg_replication_slots WHERE database = current_database()";

    public static async Task RunAsync(BenchmarkRun run, PostgresTarget server)
    {
        var minutes = run.Options.SlotIdleMinutes;
        await using var quiet = await server.CreateDatabaseAsync();
        await run.InstallCaptureAsync(quiet, CaptureMode.LogicalReplication);
        var endpoint = await run.Endpoints.UnmeteredAsync();
        await using var child = await run.StartConnectorProcessAsync(quiet, endpoint, CaptureMode.LogicalReplication);
        using (var tracker = endpoint.Track())
        {
            await quiet.ExecuteAsync($"INSERT INTO {BenchTables.Captured} (name, email) VALUES ('the only change', NULL)");
            if (!await tracker.WaitForAsync(1, TimeSpan.FromSeconds(30)))
            {
                throw new TimeoutException("The quiet database's one change was not published within 30 s.");
            }
        }

        // The busy database: a 200-row INSERT every 100 ms by the clock (2,000 rows/s, late ticks run at once), for the
        // whole idle time: a steady rate of WAL, the same on a busy machine as on a quiet one.
        await using var busy = await server.CreateDatabaseAsync();
        var startLsn = await busy.ScalarAsync<string>("SELECT pg_current_wal_lsn()::text");
        var clock = Stopwatch.StartNew();
        var idle = TimeSpan.FromMinutes(minutes);
        var nextSample = SampleInterval;
        long rows = 0, maxRetained = 0, maxUnconfirmed = 0;
        for (var tick = 0; clock.Elapsed < idle; tick++)
        {
            var due = TimeSpan.FromTicks(WriteInterval.Ticks * tick) - clock.Elapsed;
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due);
            }

            await busy.ExecuteAsync($"INSERT INTO {BenchTables.Plain} (name, email) SELECT md5(g::text), 'user' || g || '@example.com' FROM generate_series(1, {RowsPerWrite}) g");
            rows += RowsPerWrite;
            if (clock.Elapsed >= nextSample)
            {
                var (retained, unconfirmed, _) = await SampleAsync(quiet);
                maxRetained = Math.Max(maxRetained, retained);
                maxUnconfirmed = Math.Max(maxUnconfirmed, unconfirmed);
                nextSample += SampleInterval;
            }
        }

        var (retainedAtEnd, unconfirmedAtEnd, endLsn) = await SampleAsync(quiet);
        var walWritten = await busy.ScalarAsync<long>($"SELECT ('{endLsn}'::pg_lsn - '{startLsn}'::pg_lsn)::bigint");
        var walPerSecond = walWritten / clock.Elapsed.TotalSeconds;
        await child.StopAsync();
        run.Log($"{Name} idle slot: after {minutes:0.##} min, {Report.N0(rows)} rows and {Report.N0(walWritten)} bytes of WAL written elsewhere: retains {Report.N0(retainedAtEnd)} bytes " +
                $"({Report.N0(unconfirmedAtEnd)} unconfirmed); at most {Report.N0(maxRetained)} retained and {Report.N0(maxUnconfirmed)} unconfirmed at the {SampleInterval.TotalSeconds:0} s samples");

        var length = minutes == DocumentedMinutes
            ? $"{minutes:0.##} idle minutes"
            : $"{minutes:0.##} idle minutes (a quick run: the documented figure uses --idle-minutes {DocumentedMinutes:0})";
        run.Report.AtMost(Name, $"a quiet database's slot after {length}, while another database writes: WAL it retains (bytes)",
            retainedAtEnd, TargetBytes, v => Report.N0(v) + " bytes",
            $"**{Report.N0(retainedAtEnd)} bytes** ({Report.N0(unconfirmedAtEnd)} not yet confirmed; at most {Report.N0(maxRetained)} retained at the {SampleInterval.TotalSeconds:0} s samples, " +
            $"{Report.F1(maxRetained / walPerSecond)} s of the server's WAL)",
            $"WAL written meanwhile, by the other database: {Report.N0(walWritten)} bytes ({Report.N0(rows)} rows; {Report.N0(walPerSecond)} bytes/s)");
        run.Report.Print(run.Progress);
        run.Report.Note($"{Name} (idle slot): a connector process runs on a database that receives one change, then nothing; another database of the server inserts {RowsPerWrite} rows every {WriteInterval.TotalMilliseconds:0} ms by the clock. " +
            "Retained = pg_current_wal_lsn() − the slot's restart_lsn (what PostgreSQL must keep for it); unconfirmed = pg_current_wal_lsn() − confirmed_flush_lsn. With nothing to publish the connector " +
            "confirms the position the server's keepalives report; PostgreSQL moves restart_lsn on only at its running-transactions records (every 15 s while the server writes) once the client has confirmed past one, " +
            "so the retained figure is a sawtooth of up to about 15 to 30 s of the server's WAL, whatever the idle time: the figure at the end is one point of it, the maximum of the samples its top.");
    }

    private static async Task<(long Retained, long Unconfirmed, string Lsn)> SampleAsync(BenchDatabase database)
    {
        await using var command = database.Source.CreateCommand(SlotSql);
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync()
            ? (reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2))
            : throw new InvalidOperationException("The quiet database has no replication slot.");
    }
}
