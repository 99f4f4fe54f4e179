using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Npgsql;
using Xunit;
using Xunit.Abstractions;
using static AblyPgTyped.Tests.Connectors.DeliveryTests;

namespace AblyPgTyped.Tests.Connectors;

/// <summary>Backfills: existing rows published as snapshots beside live changes, resumably, never over a newer change.</summary>
[Collection(PostgresCollection.Name)]
public class BackfillTests(PostgresFixture postgres, ITestOutputHelper output)
{
    private const string BackfillRows = """CREATE TABLE bf_rows ("Id" int PRIMARY KEY, "Bucket" int NOT NULL, "Val" int NOT NULL);""";

    protected virtual CaptureMode Capture => CaptureMode.Triggers;

    [Fact]
    public async Task A_backfill_beside_four_writers_survives_two_kills_and_every_row_ends_at_its_final_value()
    {
        const int rows = 100_000;
        var clock = Stopwatch.StartNew();
        await using var h = await ConnectorHarness.StartAsync(postgres, Capture, BackfillRows);
        await h.ExecuteAsync($"""INSERT INTO bf_rows SELECT g, g % 4, 0 FROM generate_series(1, {rows}) g""");

        using var writersStop = new CancellationTokenSource();
        var writes = 0L;
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            await using var connection = await h.Database.OpenConnectionAsync();
            while (!writersStop.IsCancellationRequested)
            {
                var id = random.Next(1, rows + 1);
                await using var command = random.Next(10) < 8
                    ? new NpgsqlCommand("""UPDATE bf_rows SET "Val" = "Val" + 1 WHERE "Id" = $1""", connection)
                    : new NpgsqlCommand("""DELETE FROM bf_rows WHERE "Id" = $1""", connection);
                command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = id });
                await command.ExecuteNonQueryAsync();
                Interlocked.Increment(ref writes);
                await Task.Delay(random.Next(0, 3));
            }
        })).ToArray();

        // The first host requests the backfill; each is killed once the backfill has moved on, mid-way.
        var kills = 0;
        foreach (var killAt in new[] { rows / 4, rows / 2 })
        {
            using var victim = ConnectorProcess.Start(h, "backfill");
            await victim.WaitUntilActiveAsync(60);
            await Eventually(async () => await RowsDoneAsync(h) >= killAt, 120);
            var doneAtKill = await RowsDoneAsync(h);
            victim.Kill();
            kills++;
            output.WriteLine($"killed at {doneAtKill} rows recorded, {clock.Elapsed}");
            Assert.True(doneAtKill < rows, "the kill came after the backfill had finished");
        }

        using (var last = ConnectorProcess.Start(h, "backfill"))
        {
            await last.WaitUntilActiveAsync(60);
            await Eventually(async () => await h.ScalarAsync<string>("SELECT state FROM ablypg.backfills") == "done", 300);
            var backfillTime = clock.Elapsed;
            await writersStop.CancelAsync();
            await Task.WhenAll(writers);
            await h.NoteWriteAsync();
            await Eventually(async () => await h.BacklogAsync() == 0, 120);
            output.WriteLine($"backfill done at {backfillTime}, all published at {clock.Elapsed}; {Interlocked.Read(ref writes)} writes");
        }

        Assert.Equal(1L, await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.backfills"));
        Assert.Equal(2, kills);

        var truth = new Dictionary<int, int>();
        await using (var command = h.Database.CreateCommand("""SELECT "Id", "Val" FROM bf_rows"""))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                truth[reader.GetInt32(0)] = reader.GetInt32(1);
            }
        }

        // The subscriber: each channel's stored messages in order, folded; no message id accepted twice.
        var all = h.Ably.GetMessages();
        Assert.Equal(all.Count, all.Select(m => m.Id).Distinct().Count());
        var seen = new Dictionary<int, int>();
        var lastPosition = new Dictionary<int, ChangePosition>();
        var snapshots = 0;
        var delivered = new HashSet<ChangePosition>();
        foreach (var channel in h.Ably.GetChannelNames())
        {
            foreach (var message in h.Ably.GetMessages(channel))
            {
                foreach (var change in ReadChanges(message.DataString!))
                {
                    var id = change.Row.Id;
                    // Chunks sent before a kill go again cut as they were (the cut journal), so Ably drops those it
                    // accepted: no change arrives twice, and no older value of a row after a newer one.
                    if (!delivered.Add(change.Position))
                    {
                        var carriers = all.Where(m => m.DataString!.Contains($"\"{change.Position}\"", StringComparison.Ordinal)).Select(m => m.Id + "@" + m.Channel);
                        Assert.Fail($"row {id}: {change.Kind} {change.Position} arrived twice, the second time in {message.Id} on {channel}; messages carrying it: {string.Join(", ", carriers)}");
                    }

                    if (lastPosition.TryGetValue(id, out var previous))
                    {
                        Assert.True(change.Position.CompareTo(previous) > 0, $"row {id}: {change.Kind} {change.Position} arrived after the newer change {previous}");
                    }

                    lastPosition[id] = change.Position;
                    Assert.Equal($"bf:{change.Row.Bucket}", channel);
                    switch (change.Kind)
                    {
                        case ChangeKind.Delete:
                            seen.Remove(id);
                            break;
                        case ChangeKind.Snapshot:
                            snapshots++;
                            seen[id] = change.New!.Value.Val;
                            break;
                        default:
                            seen[id] = change.New!.Value.Val;
                            break;
                    }
                }
            }
        }

        output.WriteLine($"{all.Count} messages, {snapshots} snapshots, {truth.Count} rows at the end; {clock.Elapsed}");
        Assert.True(snapshots >= truth.Count / 2, $"only {snapshots} snapshots");
        Assert.Equal(truth.Count, seen.Count);
        foreach (var (id, value) in truth)
        {
            Assert.True(seen.TryGetValue(id, out var got) && got == value, $"row {id}: the subscriber has {(seen.ContainsKey(id) ? got : "nothing")}, the table {value}");
        }
    }

    [Fact]
    public async Task A_key_range_goes_to_a_named_channel_and_typed_handlers_see_snapshots()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Capture, Schemas.Users);
        await h.ExecuteAsync("""INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 500) g""");
        var handled = new System.Collections.Concurrent.ConcurrentBag<Change<User>>();
        var connector = await h.StartConnectorAsync(h.Options(AblyPgTables.User), c => c.On<User>(ChangeKind.Snapshot, (change, _) =>
        {
            handled.Add(change);
            return Task.CompletedTask;
        }));

        var requested = await connector.BackfillAsync<User>(new BackfillOptions { From = [100], To = [199], Channel = "users-snapshot", ChunkRows = 30 });
        var status = await connector.WaitForBackfillAsync(requested.Id);

        Assert.Equal(("done", 100L), (status.State, status.RowsDone));
        Assert.Equal(["199"], status.Cursor);
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.changes")); // published, so (with a slot: always) gone
        var messages = h.Ably.GetMessages("users-snapshot");
        Assert.Equal(100, messages.Count); // bundling is off in the harness's options
        Assert.All(messages, m => Assert.Equal("snapshot", m.Name));
        Assert.Equal(Enumerable.Range(100, 100), messages.Select(m => AblyPgTables.User.ReadChanges(m.DataString!).Single().New!.Id));
        await Eventually(() => handled.Count == 100);
        Assert.All(handled, c => Assert.Equal(ChangeKind.Snapshot, c.Kind));
        Assert.Contains(h.Logs.Entries, e => e.EventId == 1123 && e.Text.Contains("100 row(s)", StringComparison.Ordinal));

        var bad = await Assert.ThrowsAsync<AblyPgTyped.Publishing.AblyConfigurationException>(() => connector.BackfillAsync<User>(new BackfillOptions { From = [1, 2] }));
        Assert.Contains("the primary key has 1 column(s): Id", bad.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cancelled_backfill_records_no_more_chunks_and_publishes_those_it_recorded()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Capture, Schemas.Users);
        await h.ExecuteAsync("INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 20000) g");
        var connector = await h.StartConnectorAsync(h.Options(AblyPgTables.User)); // one message per change: 50/s on one channel

        var requested = await connector.BackfillAsync<User>(new BackfillOptions { ChunkRows = 50 });
        await Eventually(async () => await RowsDoneAsync(h) >= 100);
        var cancelled = await connector.CancelBackfillAsync(requested.Id);

        Assert.Equal("cancelled", cancelled.State);
        Assert.InRange(cancelled.RowsDone, 100, 19_999);
        Assert.NotNull(cancelled.FinishedAt);
        await Task.Delay(1000);
        Assert.Equal(cancelled.RowsDone, await RowsDoneAsync(h)); // no chunk after the cancel
        Assert.Equal("cancelled", (await connector.WaitForBackfillAsync(requested.Id, published: false)).State);
        Assert.Contains(h.Logs.Entries, e => e.EventId == 1127);

        // What it recorded is published all the same, once each.
        await Eventually(() => h.Ably.GetMessages("users").Count(m => m.Name == "snapshot") >= cancelled.RowsDone, 60);
        var ids = h.Ably.GetMessages("users").Where(m => m.Name == "snapshot").Select(m => AblyPgTables.User.ReadChanges(m.DataString!).Single().New!.Id).ToList();
        Assert.Equal(Enumerable.Range(1, (int)cancelled.RowsDone), ids);

        Assert.Equal("cancelled", (await connector.CancelBackfillAsync(requested.Id)).State); // again: nothing changes
        var missing = await Assert.ThrowsAsync<InvalidOperationException>(() => connector.CancelBackfillAsync(999));
        Assert.Equal("There is no backfill 999.", missing.Message);
    }

    [Fact]
    public void The_typed_reader_reads_a_snapshot_alone_and_in_a_bundle()
    {
        const string one = """{"schema":"public","table":"users","operation":"snapshot","position":"7.2","capturedAt":"2026-11-24T10:15:02.123456Z","key":{"Id":1},"new":{"Id":1,"Name":"Ada","Bio":null}}""";
        var change = AblyPgTables.User.ReadChanges(one).Single();
        Assert.Equal(ChangeKind.Snapshot, change.Kind);
        Assert.Equal(new ChangePosition(7, 2), change.Position);
        Assert.Equal("Ada", change.Row.Name);
        var bundle = AblyPgTables.User.ReadChanges("{\"changes\":[" + one + "," + one.Replace("7.2", "7.3") + "]}");
        Assert.Equal([ChangeKind.Snapshot, ChangeKind.Snapshot], bundle.Select(c => c.Kind));
        Assert.Equal("snapshot", ChangeMessage.NameOf(ChangeKind.Snapshot));
        Assert.Equal(ChangeKind.Snapshot, ChangeMessage.ParseKind("snapshot"));
    }

    /// <summary>The changes of one message of bf_rows (one change, or a bundle), as a subscriber without the C# type reads them.</summary>
    private static IEnumerable<(ChangeKind Kind, ChangePosition Position, (int Id, int Bucket, int Val) Row, (int Id, int Bucket, int Val)? New)> ReadChanges(string data)
    {
        using var document = JsonDocument.Parse(data);
        var root = document.RootElement;
        var changes = root.TryGetProperty("changes", out var list) ? list.EnumerateArray().ToArray() : [root];
        return changes.Select(c =>
        {
            var kind = ChangeMessage.ParseKind(c.GetProperty("operation").GetString()) ?? throw new JsonException("no operation");
            var row = Row(c.GetProperty(kind == ChangeKind.Delete ? "old" : "new"));
            return (kind, ChangePosition.Parse(c.GetProperty("position").GetString()!), row, kind == ChangeKind.Delete ? ((int, int, int)?)null : row);
        }).ToList();

        static (int Id, int Bucket, int Val) Row(JsonElement e) => (e.GetProperty("Id").GetInt32(), e.GetProperty("Bucket").GetInt32(), e.GetProperty("Val").GetInt32());
    }

    private static async Task<long> RowsDoneAsync(ConnectorHarness h)
    {
        try
        {
            return await h.ScalarAsync<long>("SELECT coalesce(max(rows_done), 0) FROM ablypg.backfills");
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
        {
            return 0;
        }
    }
}
