using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.LocalAbly;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace AblyPgTyped.Tests.Connectors.Logical;

/// <summary>A measurement, not a check: it runs only when ABLYPG_MEASURE is set (the README quotes its figures).</summary>
public sealed class MeasurementAttribute : FactAttribute
{
    public MeasurementAttribute()
    {
        if (Environment.GetEnvironmentVariable("ABLYPG_MEASURE") is null)
        {
            Skip = "a measurement: set ABLYPG_MEASURE=1 to run it";
        }
    }
}

/// <summary>Figures for logical-replication capture: drain rate beside triggers', a large transaction's memory, an idle slot's WAL.</summary>
[Collection(PostgresCollection.Name)]
public sealed class LogicalMeasurements(PostgresFixture postgres, ITestOutputHelper output)
{
    [Measurement]
    public async Task Drain_rate_in_both_modes()
    {
        foreach (var mode in new[] { CaptureMode.Triggers, CaptureMode.LogicalReplication, CaptureMode.Triggers, CaptureMode.LogicalReplication })
        {
            const int changes = 200_000;
            await using var h = await ConnectorHarness.StartAsync(postgres, mode, o => o.Plan = LocalAblyPlan.Unlimited, Schemas.Users);
            var options = h.Options(AblyPgTables.User);
            options.Ably.Plan = AblyPgTyped.Publishing.AblyPlan.Unlimited;
            var connector = await h.StartConnectorAsync(options);
            await connector.StopAsync(); // installed; the backlog is written while it is stopped
            for (var first = 1; first <= changes; first += 1000)
            {
                await h.ExecuteAsync($"INSERT INTO users SELECT g, 'u' || g FROM generate_series({first}, {first + 999}) g");
            }

            var clock = Stopwatch.StartNew();
            await h.StartConnectorAsync(options);
            while (h.Ably.AcceptedMessageCount < changes)
            {
                await Task.Delay(20);
            }

            output.WriteLine($"{mode}: {changes} changes drained in {clock.Elapsed.TotalSeconds:F2} s = {changes / clock.Elapsed.TotalSeconds:F0} changes/s");
        }
    }

    [Measurement]
    public async Task A_million_row_update_in_one_transaction()
    {
        const int rows = 1_000_000;
        await using var h = await ConnectorHarness.StartAsync(postgres, CaptureMode.LogicalReplication, o => o.Plan = LocalAblyPlan.Unlimited, Schemas.Users);
        await h.ExecuteAsync($"INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, {rows}) g");
        using var connector = ConnectorProcess.Start(h, "bundle=1", "plan=Unlimited");
        await connector.WaitUntilActiveAsync();
        await Task.Delay(2000);
        var idle = PeakKiB(connector.Id);
        var clock = Stopwatch.StartNew();
        await using (var update = h.Database.CreateCommand("""UPDATE users SET "Bio" = 'updated'"""))
        {
            update.CommandTimeout = 600;
            await update.ExecuteNonQueryAsync();
        }

        var committed = clock.Elapsed;
        while (h.Ably.AcceptedMessageCount < rows)
        {
            await Task.Delay(100);
        }

        output.WriteLine($"UPDATE of {rows} rows committed in {committed.TotalSeconds:F1} s; all published {clock.Elapsed.TotalSeconds:F1} s after it began; " +
                         $"connector peak RSS {idle / 1024} MiB before, {PeakKiB(connector.Id) / 1024} MiB after");
    }

    [Measurement]
    public async Task An_idle_slot_while_another_database_writes()
    {
        var minutes = int.Parse(Environment.GetEnvironmentVariable("ABLYPG_IDLE_MINUTES") ?? "10", System.Globalization.CultureInfo.InvariantCulture);
        await using var h = await ConnectorHarness.StartAsync(postgres, CaptureMode.LogicalReplication, Schemas.Users);
        await h.StartConnectorAsync(h.Options(AblyPgTables.User));
        await h.ExecuteAsync("""INSERT INTO users VALUES (1, 'the only change', NULL)""");
        await h.WaitForMessagesAsync(1);
        await using var busy = new NpgsqlConnection(await postgres.Server.CreateDatabaseAsync());
        await busy.OpenAsync();
        await using (var create = new NpgsqlCommand("CREATE TABLE filler (g int, m text)", busy))
        {
            await create.ExecuteNonQueryAsync();
        }

        var clock = Stopwatch.StartNew();
        var written = 0L;
        for (var minute = 1; minute <= minutes; minute++)
        {
            while (clock.Elapsed < TimeSpan.FromMinutes(minute))
            {
                await using var write = new NpgsqlCommand("INSERT INTO filler SELECT g, md5(g::text) FROM generate_series(1, 2000) g", busy);
                await write.ExecuteNonQueryAsync();
                written += 2000;
                await Task.Delay(100);
            }

            await using var command = h.Database.CreateCommand(
                "SELECT (pg_current_wal_lsn() - confirmed_flush_lsn)::bigint, (pg_current_wal_lsn() - restart_lsn)::bigint, pg_current_wal_lsn()::text FROM pg_replication_slots WHERE database = current_database()");
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            output.WriteLine($"after {minute} min ({written} rows written elsewhere, WAL at {reader.GetString(2)}): slot confirmed {reader.GetInt64(0)} bytes behind, retains {reader.GetInt64(1)} bytes");
        }
    }

    private static long PeakKiB(int pid) =>
        long.Parse(File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
}
