using System;
using System.Diagnostics;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using AblyPgTyped.LocalAbly;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Npgsql;
using Xunit;
using Xunit.Abstractions;
using static AblyPgTyped.Tests.Connectors.DeliveryTests;

namespace AblyPgTyped.Tests.Connectors.Logical;

/// <summary>The slot's position survives <c>kill -9</c>: nothing lost, nothing a subscriber sees twice.</summary>
[Collection(PostgresCollection.Name)]
public sealed class LogicalKillTests(PostgresFixture postgres, ITestOutputHelper output)
{
    private static readonly int Changes = int.Parse(Environment.GetEnvironmentVariable("ABLYPG_KILL_CHANGES") ?? "50000", System.Globalization.CultureInfo.InvariantCulture);
    private static readonly int Kills = int.Parse(Environment.GetEnvironmentVariable("ABLYPG_KILLS") ?? "20", System.Globalization.CultureInfo.InvariantCulture);
    private const int RowsPerTransaction = 50;

    [Fact]
    public async Task Twenty_kills_during_fifty_thousand_changes_lose_nothing_and_no_subscriber_sees_an_id_twice()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, CaptureMode.LogicalReplication, o => o.Plan = LocalAblyPlan.Unlimited, Schemas.Users);
        var clock = Stopwatch.StartNew();
        var random = new Random(11);
        var victimLog = new System.Collections.Concurrent.ConcurrentQueue<string>();

        // Capture starts once the first connector has installed it (with triggers as with a slot).
        var first = ConnectorProcess.Start(h, "bundle=1", "plan=Unlimited");
        await first.WaitUntilActiveAsync(seconds: 60);

        // Writers commit transactions of 50 rows throughout, while connectors are started and killed.
        var writer = Task.Run(async () =>
        {
            await using var connection = await h.Database.OpenConnectionAsync();
            for (var first = 1; first <= Changes; first += RowsPerTransaction)
            {
                await using var insert = new NpgsqlCommand($"INSERT INTO users SELECT g, 'u' || g FROM generate_series({first}, {first + RowsPerTransaction - 1}) g", connection);
                await insert.ExecuteNonQueryAsync();
                await Task.Delay(35); // 1,000 transactions over about 40 s, while the kills go on
            }
        });

        for (var kill = 0; kill < Kills; kill++)
        {
            using var victim = kill == 0 ? first : ConnectorProcess.Start(h, "bundle=1", "plan=Unlimited");
            await victim.WaitUntilActiveAsync(seconds: 60);
            var before = h.Ably.AcceptedMessageCount;
            await Eventually(() => h.Ably.AcceptedMessageCount > before || writer.IsCompleted && h.Ably.AcceptedMessageCount >= Changes, seconds: 60);
            await Task.Delay(random.Next(50, 700)); // mid-stream: requests in flight, positions not yet confirmed
            var slot = await h.ScalarAsync<string>("SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE database = current_database()");
            victim.Kill();
            victimLog.Enqueue($"kill {kill} at {clock.Elapsed.TotalSeconds:F1}s accepted {h.Ably.AcceptedMessageCount} confirmed {slot}");
        }

        var written = clock.Elapsed;
        await writer;
        using (var last = ConnectorProcess.Start(h, "bundle=1", "plan=Unlimited"))
        {
            await last.WaitUntilActiveAsync(seconds: 60);
            try
            {
                await h.WaitForMessagesAsync(Changes, seconds: 60);
            }
            catch (TimeoutException)
            {
                var seen = h.Ably.GetMessages().Select(m => AblyPgTables.User.ReadChanges(m.DataString!).Single().New!.Id).ToHashSet();
                var missing = Enumerable.Range(1, Changes).Where(i => !seen.Contains(i)).ToList();
                output.WriteLine($"missing {missing.Count}: {string.Join(",", missing.Take(300))}");
                output.WriteLine($"dead letters: {await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.dead_letters")}; stats duplicates {h.Ably.GetStats().DuplicateMessages}");
                await using var command = h.Database.CreateCommand("SELECT xmin::text, \"Id\" FROM users WHERE \"Id\" = ANY($1) ORDER BY 2");
                command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = missing.Take(300).ToArray() });
                await using var reader = await command.ExecuteReaderAsync();
                var xids = new System.Collections.Generic.List<string>();
                while (await reader.ReadAsync())
                {
                    xids.Add(reader.GetString(0));
                }

                output.WriteLine("xids: " + string.Join(",", xids.Distinct()));
                output.WriteLine(string.Join("\n", victimLog));
                throw;
            }

            await Task.Delay(500);
        }

        var messages = h.Ably.GetMessages();
        var stats = h.Ably.GetStats();
        output.WriteLine($"{Kills} kills in {written.TotalSeconds:F1} s; all {Changes} delivered after {clock.Elapsed.TotalSeconds:F1} s; {stats.DuplicateMessages} re-sent message(s) dropped by id");

        Assert.Equal(Changes, messages.Count);
        Assert.Equal(Changes, messages.Select(m => m.Id).Distinct().Count());
        Assert.Equal(Enumerable.Range(1, Changes), messages.Select(m => AblyPgTables.User.ReadChanges(m.DataString!).Single().New!.Id).Order());

        // One channel: its changes were accepted in position order, through every takeover.
        var positions = messages.Select(m => ChangePosition.Parse(JsonDocument.Parse(m.DataString!).RootElement.GetProperty("position").GetString()!)).ToList();
        Assert.True(positions.SequenceEqual(positions.Order()), "positions out of order on the channel");
    }
}
