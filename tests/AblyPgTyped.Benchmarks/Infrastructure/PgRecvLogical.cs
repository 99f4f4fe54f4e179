using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading.Tasks;
using Npgsql;

namespace AblyPgTyped.Benchmarks.Infrastructure;

/// <summary>
/// PostgreSQL's own logical-replication client, reading pgoutput from a slot of its own and throwing the messages
/// away: what decoding costs the server when the client costs nothing, the floor under any pgoutput consumer.
/// </summary>
internal sealed class PgRecvLogical : IAsyncDisposable
{
    private const string Slot = "ablypg_bench_reference";

    private readonly BenchDatabase _database;
    private readonly Process _process;

    private PgRecvLogical(BenchDatabase database, Process process)
    {
        _database = database;
        _process = process;
    }

    /// <summary>Creates the slot at the WAL's end and starts reading it for every publication of the database.</summary>
    public static async Task<PgRecvLogical> StartAsync(string binDirectory, BenchDatabase database)
    {
        var publications = await database.ScalarAsync<string>("SELECT string_agg(pubname, ',') FROM pg_catalog.pg_publication");
        await database.ExecuteAsync($"SELECT pg_catalog.pg_create_logical_replication_slot('{Slot}', 'pgoutput')");
        var target = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        var start = new ProcessStartInfo(string.IsNullOrEmpty(binDirectory) ? "pg_recvlogical" : Path.Combine(binDirectory, "pg_recvlogical"))
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            Environment = { ["PGPASSWORD"] = target.Password ?? "" },
        };
        foreach (var argument in new[]
        {
            "-h", target.Host ?? "127.0.0.1", "-p", target.Port.ToString(CultureInfo.InvariantCulture), "-U", target.Username ?? "postgres",
            "-d", target.Database ?? "postgres", "-S", Slot, "--start", "-o", "proto_version=1", "-o", "publication_names=" + publications,
            "-f", "/dev/null", "-s", "1",
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Cannot start pg_recvlogical.");
        _ = process.StandardError.ReadToEndAsync();
        var reader = new PgRecvLogical(database, process);
        var waited = Stopwatch.StartNew();
        while (!await database.ScalarAsync<bool>($"SELECT active FROM pg_catalog.pg_replication_slots WHERE slot_name = '{Slot}'"))
        {
            if (process.HasExited || waited.Elapsed > TimeSpan.FromSeconds(10))
            {
                await reader.DisposeAsync();
                throw new InvalidOperationException($"pg_recvlogical did not start reading (exit code {(process.HasExited ? process.ExitCode : "none yet")}).");
            }

            await Task.Delay(20);
        }

        return reader;
    }

    /// <summary>Waits until the client has confirmed everything written so far (it reports once a second).</summary>
    public async Task CatchUpAsync(TimeSpan timeout)
    {
        var end = await _database.ScalarAsync<string>("SELECT pg_catalog.pg_current_wal_lsn()::text");
        var waited = Stopwatch.StartNew();
        while (!await _database.ScalarAsync<bool>($"SELECT confirmed_flush_lsn >= '{end}'::pg_lsn FROM pg_catalog.pg_replication_slots WHERE slot_name = '{Slot}'"))
        {
            if (waited.Elapsed > timeout)
            {
                throw new TimeoutException($"pg_recvlogical had not confirmed {end} after {timeout}.");
            }

            await Task.Delay(200); // its own session's polls count with the server's CPU: few of them
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        var waited = Stopwatch.StartNew();
        while (await _database.ScalarAsync<bool>($"SELECT coalesce((SELECT active FROM pg_catalog.pg_replication_slots WHERE slot_name = '{Slot}'), false)")
               && waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20);
        }

        await _database.ExecuteAsync($"SELECT pg_catalog.pg_drop_replication_slot(slot_name) FROM pg_catalog.pg_replication_slots WHERE slot_name = '{Slot}'");
    }
}
