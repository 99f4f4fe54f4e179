using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using AblyPgTyped.LocalAbly;
using AblyPgTyped.Tests.Config;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Xunit;
using Xunit.Abstractions;
using static AblyPgTyped.Tests.Connectors.DeliveryTests;

namespace AblyPgTyped.Tests.Cli;

/// <summary>
/// <c>ablypg dead-letters</c> against real connectors: a change refused for good is dead-lettered, the cause is fixed,
/// and the replay delivers it once, in its row's order; what cannot succeed says why; purge removes exactly what it names.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class DeadLettersCommandTests(PostgresFixture postgres, ITestOutputHelper output)
{
    private const string Updated = "ably-users-updated";

    [Fact]
    public async Task Replay_with_no_connector_active_puts_the_changes_back_in_their_place_before_the_rows_later_changes()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, ConfigFileTests.UsersTable);
        using var folder = new ConfigFolder();
        var target = ConfigTarget.Of(h);
        var path = folder.WriteJsonExample("all-operations/default.json", target);
        var ops = OperationsConfig.WriteJson(folder, target);
        await using (var first = new Connector(path, h.Logs))
        {
            await first.StartAsync();

            // The key may not publish on the updates' channel (40160): both updates of row 1 are dead-lettered, in order.
            h.Ably.Faults.FailAll(400, 40160, "capability denied", channel: Updated);
            await h.ExecuteAsync("INSERT INTO users VALUES (1, 'v0')");
            await h.ExecuteAsync("UPDATE users SET name = 'v1' WHERE id = 1");
            await h.ExecuteAsync("UPDATE users SET name = 'v2' WHERE id = 1");
            await Eventually(async () => await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.dead_letters") == 2);
        }

        // The capability is fixed; with no connector running, the row changes once more.
        h.Ably.Faults.Clear();
        await h.ExecuteAsync("UPDATE users SET name = 'v3' WHERE id = 1");
        var listed = await OperationsConfig.RunJsonAsync("dead-letters", "list", "--json", ops);
        var letters = listed.GetProperty("deadLetters").EnumerateArray().ToList();
        Assert.Equal(2, listed.GetProperty("total").GetInt64());
        Assert.All(letters, l => Assert.Equal(("rejected", true, "update", Updated), (l.GetProperty("kind").GetString(), l.GetProperty("replayable").GetBoolean(),
            l.GetProperty("operation").GetString(), l.GetProperty("channel").GetString())));
        Assert.Equal(["v1", "v2"], letters.Select(l => l.GetProperty("data")[1].GetProperty("name").GetString()));
        var positions = letters.Select(l => l.GetProperty("position").GetString()!).ToList();

        using var replay = await CliProcess.RunAsync("dead-letters", "replay", "--table", "users", "--all", ops);
        output.WriteLine(replay.Output + replay.Error);
        Assert.Equal((0, ""), (replay.ExitCode, replay.Error));
        Assert.Contains("replayed 2 dead letter(s) into the store of \"ablypg\", each at its original position (no connector was active)", replay.Output, StringComparison.Ordinal);
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.dead_letters"));

        await using var second = new Connector(path, h.Logs);
        await second.StartAsync();
        await h.Ably.WaitForMessagesAsync(Updated, 3, TimeSpan.FromSeconds(30));
        await Eventually(async () => await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.changes") == 0);
        await Task.Delay(300);

        // Once each, in the row's order, the replayed ones at their original positions (so with their original message ids).
        var updates = h.Ably.GetMessages(Updated).Select(Change).ToList();
        Assert.Equal(["v1", "v2", "v3"], updates.Select(u => u.Name));
        Assert.Equal(positions, updates.Take(2).Select(u => u.Position));
        var installId = await h.ScalarAsync<string>("SELECT value FROM ablypg.state WHERE key = 'install_id'");
        Assert.Equal(positions.Select(p => installId + "-" + p.Replace('.', '-')), h.Ably.GetMessages(Updated).Take(2).Select(m => m.Id));
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.dead_letters"));
    }

    [Fact]
    public async Task Replay_beside_an_active_connector_appends_the_change_and_it_arrives_once_before_the_rows_next_change()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, ConfigFileTests.UsersTable);
        using var folder = new ConfigFolder();
        var target = ConfigTarget.Of(h);
        var path = folder.WriteJsonExample("all-operations/default.json", target);
        var ops = OperationsConfig.WriteEnv(folder, target);
        await using var connector = new Connector(path, h.Logs);
        await connector.StartAsync();

        h.Ably.Faults.FailNext(1, 400, 40160, "capability denied", channel: Updated);
        await h.ExecuteAsync("INSERT INTO users VALUES (1, 'v0'), (2, 'w0')");
        await h.ExecuteAsync("UPDATE users SET name = 'w1' WHERE id = 2");
        await Eventually(async () => await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.dead_letters") == 1);
        var id = await h.ScalarAsync<long>("SELECT id FROM ablypg.dead_letters");
        h.Ably.Faults.Clear(); // the capability is fixed

        using var replay = await CliProcess.RunAsync("dead-letters", "replay", "--id", id.ToString(System.Globalization.CultureInfo.InvariantCulture), ops);
        output.WriteLine(replay.Output + replay.Error);
        Assert.Equal((0, ""), (replay.ExitCode, replay.Error));
        Assert.Contains("replayed 1 dead letter(s) as new changes", replay.Output, StringComparison.Ordinal);
        Assert.Contains("The active connector (backend ", replay.Output, StringComparison.Ordinal);
        await h.ExecuteAsync("UPDATE users SET name = 'w2' WHERE id = 2");

        await h.Ably.WaitForMessagesAsync(Updated, 2, TimeSpan.FromSeconds(30));
        await Eventually(async () => await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.changes") == 0);
        await Task.Delay(300);
        Assert.Equal(["w1", "w2"], h.Ably.GetMessages(Updated).Select(m => Change(m).Name));
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.dead_letters"));

        // The letter is gone: asking for it again is an error naming it, and nothing is sent.
        using var again = await CliProcess.RunAsync("dead-letters", "replay", "--id", id.ToString(System.Globalization.CultureInfo.InvariantCulture), ops);
        Assert.Equal((1, $"ablypg: error: no dead letter {id}.\n"), (again.ExitCode, again.Error));
    }

    [Fact]
    public async Task Replay_in_place_puts_a_change_back_into_its_store_row_that_still_waits_for_a_typed_connector()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, MoreSchemas.Rooms);
        using var folder = new ConfigFolder();
        var ops = OperationsConfig.WriteEnv(folder, ConfigTarget.Of(h));
        var connector = await h.StartConnectorAsync(h.Options(AblyPgTables.Room));

        // One statement, one store row, two channels: "secret" is refused for good, "lobby" is failing for now.
        h.Ably.Faults.FailAll(400, 40160, "capability denied", channel: "secret");
        h.Ably.Faults.FailAll(503, 50300, "unavailable", channel: "lobby");
        await h.ExecuteAsync("INSERT INTO rooms VALUES (1, 'secret'), (2, 'lobby')");
        var row = await h.ScalarAsync<long>("SELECT id FROM ablypg.changes");
        await Eventually(async () => await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.dead_letters") == 1 &&
                                     await h.ScalarAsync<string>("SELECT json_typeof(data->0) FROM ablypg.changes") == "null");
        await connector.StopAsync();
        h.Ably.Faults.Clear();

        using var replay = await CliProcess.RunAsync("dead-letters", "replay", "--all", ops);
        output.WriteLine(replay.Output + replay.Error);
        Assert.Equal((0, ""), (replay.ExitCode, replay.Error));
        Assert.Contains("each at its original position (no connector was active)", replay.Output, StringComparison.Ordinal);
        Assert.Equal((1L, row), (await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.changes"), await h.ScalarAsync<long>("SELECT id FROM ablypg.changes")));
        Assert.Equal("secret", await h.ScalarAsync<string>("SELECT data->0->>'Name' FROM ablypg.changes"));

        await h.StartConnectorAsync(h.Options(AblyPgTables.Room));
        await h.WaitForMessagesAsync(2);
        await Eventually(async () => await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.changes") == 0);
        var installId = await h.ScalarAsync<string>("SELECT value FROM ablypg.state WHERE key = 'install_id'");
        Assert.Equal($"{installId}-{row}-0", Assert.Single(h.Ably.GetMessages("secret")).Id);
        Assert.Equal($"{installId}-{row}-1", Assert.Single(h.Ably.GetMessages("lobby")).Id);
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.dead_letters"));
    }

    [Fact]
    public async Task A_replay_that_cannot_succeed_says_why_and_a_change_that_fails_again_returns_to_the_dead_letters()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, "CREATE TABLE users (id integer, name text, doc jsonb)");
        using var folder = new ConfigFolder();
        var target = ConfigTarget.Of(h);
        var path = folder.WriteJsonExample("all-operations/default.json", target);
        var ops = OperationsConfig.WriteJson(folder, target);
        await using var connector = new Connector(path, h.Logs);
        await connector.StartAsync();

        // Too deep for the mapping's reader; over the 64 KiB message limit; over the 1 MiB capture records; a store row
        // nested deeper than the drain splits at all.
        const int Depth = 70;
        await h.ExecuteAsync("INSERT INTO users VALUES (1, 'deep', $1::jsonb)", new string('[', Depth) + new string(']', Depth));
        await h.ExecuteAsync("INSERT INTO users VALUES (2, repeat('x', 70000), NULL)");
        await h.ExecuteAsync("INSERT INTO users VALUES (3, repeat('y', 1100000), NULL)");
        await h.ExecuteAsync("INSERT INTO users VALUES (4, 'deeper', $1::jsonb)", new string('[', 5000) + new string(']', 5000));
        await Eventually(async () => await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.dead_letters") == 4);
        var before = await LettersAsync(ops);
        Assert.Equal(["mapping_mismatch", "too_large", "not_captured", "unreadable_row"], before.Select(l => l.Kind));

        using var replay = await CliProcess.RunAsync("dead-letters", "replay", "--all", ops);
        output.WriteLine(replay.Output + replay.Error);
        Assert.Equal(1, replay.ExitCode);
        Assert.Contains("replayed 3 dead letter(s) as new changes", replay.Output, StringComparison.Ordinal);
        var notCaptured = before[2];
        Assert.Contains(
            $"ablypg: error: dead letter {notCaptured.Id} (insert of public.users at position {notCaptured.Position}) was not replayed: capture never recorded " +
            "the row, only why (the row is ", replay.Error, StringComparison.Ordinal);
        Assert.Contains("capture records rows of up to 1048576 bytes), so a replay could only dead-letter it again. Publish the row's current state with " +
                        $"`ablypg backfill users --where …`, then remove the letter with `ablypg dead-letters purge --id {notCaptured.Id}`.", replay.Error, StringComparison.Ordinal);
        Assert.Contains($"ablypg: warning: dead letter {before[1].Id} (insert of public.users at position {before[1].Position}) was too large to publish " +
                        "(the message is ", replay.Error, StringComparison.Ordinal);
        Assert.Contains("it is dead-lettered again, with that reason, unless the connector now allows larger messages", replay.Error, StringComparison.Ordinal);

        // The replayed changes failed again, for the same reasons, and are dead letters again, with the same data: none was lost or sent.
        await Eventually(async () => await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.changes") == 0 &&
                                     await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.dead_letters") == 4);
        var after = await LettersAsync(ops);
        Assert.Equal(["not_captured", "mapping_mismatch", "too_large", "unreadable_row"], after.Select(l => l.Kind));
        Assert.Equal(notCaptured, after[0]);
        Assert.Equal(new[] { before[0], before[1], before[3] }.Select(l => l.Data), after.Skip(1).Select(l => l.Data));
        Assert.StartsWith("the captured row does not fit the mapping: ", after[1].Reason, StringComparison.Ordinal);
        Assert.EndsWith(" bytes; the maximum message size is 65536", after[2].Reason, StringComparison.Ordinal);
        Assert.All(after.Skip(1), l => Assert.True(l.ChangeId > before.Max(b => b.ChangeId)));
        Assert.StartsWith("the captured row (1 change(s)) is not a readable JSON array: ", after[3].Reason, StringComparison.Ordinal);
        Assert.Equal(0L, h.Ably.AcceptedMessageCount);
    }

    [Fact]
    public async Task Purge_removes_exactly_the_letters_selected()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, ConfigFileTests.UsersTable, "CREATE SCHEMA audit");
        using var folder = new ConfigFolder();
        var target = ConfigTarget.Of(h);
        await using (var connector = new Connector(folder.WriteJsonExample("all-operations/default.json", target)))
        {
            await connector.StartAsync();
        }

        await h.ExecuteAsync(
            """
            INSERT INTO ablypg.dead_letters (change_id, change_index, table_schema, table_name, op, reason, data, failed_at) VALUES
                (10, 0, 'public', 'users', 'I', 'Ably rejected the message: 40160', '{"id": 1}', now() - interval '10 days'),
                (11, 0, 'public', 'users', 'I', 'Ably rejected the message: 40160', '{"id": 2}', now()),
                (12, 0, 'public', 'users', 'I', 'Ably rejected the message: 40160', '{"id": 3}', now()),
                (13, 0, 'public', 'orders', 'D', 'no mapping for this table is configured any more', '{"id": 4}', now() - interval '10 days'),
                (14, 0, 'public', 'orders', 'D', 'no mapping for this table is configured any more', '{"id": 5}', now()),
                (15, 0, 'audit', 'users', 'I', 'Ably rejected the message: 40160', '{"id": 6}', now())
            """);
        var ops = OperationsConfig.WriteJson(folder, target);
        async Task<long[]> Remaining() => (await OperationsConfig.RunJsonAsync("dead-letters", "list", "--json", ops)).GetProperty("deadLetters")
            .EnumerateArray().Select(l => l.GetProperty("data").GetProperty("id").GetInt64()).ToArray();
        Assert.Equal(new long[] { 1L, 2, 3, 4, 5, 6 }, await Remaining());
        using (var text = await CliProcess.RunAsync("dead-letters", "list", "--table", "public.users", "--limit", "2", ops))
        {
            Assert.Equal((0, ""), (text.ExitCode, text.Error));
            Assert.StartsWith("3 dead letter(s) in \"ablypg\", the first 2 in position order (--limit N for more):\n", text.Output, StringComparison.Ordinal);
            Assert.Contains("  public.users insert at position 10.0, failed ", text.Output, StringComparison.Ordinal);
            Assert.Contains("    refused by Ably: Ably rejected the message: 40160\n    data: {\"id\": 1}\n", text.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("position 12.0", text.Output, StringComparison.Ordinal);
        }

        async Task<(int, string, string)> Purge(params string[] args)
        {
            using var cli = await CliProcess.RunAsync(["dead-letters", "purge", .. args, ops]);
            return (cli.ExitCode, cli.Output, cli.Error);
        }

        var ids = (await h.ScalarAsync<long[]>("SELECT array_agg(id ORDER BY change_id) FROM ablypg.dead_letters")).ToList();
        Assert.Equal((2, "", "ablypg: error: dead-letters purge needs to be told which letters: --id ID[,ID…], --all or --before TIME (with --table T to keep to one table) (run 'ablypg --help' for usage)\n"),
            await Purge("--table", "users"));
        var (code, _, error) = await Purge("--table", "users", "--all");
        Assert.Equal((2, "ablypg: error: --table users matches the dead letters of audit.users and public.users: name one as schema.table\n"), (code, error));
        Assert.Equal(new long[] { 1L, 2, 3, 4, 5, 6 }, await Remaining());

        Assert.Equal((0, $"ablypg: purged 1 dead letter(s): {ids[1]}.\n", ""), await Purge("--id", ids[1].ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(new long[] { 1L, 3, 4, 5, 6 }, await Remaining());
        Assert.Equal((1, "ablypg: purged 0 dead letter(s).\n", $"ablypg: error: no dead letter {ids[1]}.\n"), await Purge("--id", ids[1].ToString(System.Globalization.CultureInfo.InvariantCulture)));

        Assert.Equal(0, (await Purge("--before", "7d")).Item1);
        Assert.Equal(new long[] { 3L, 5, 6 }, await Remaining());
        Assert.Equal(0, (await Purge("--table", "public.orders", "--all")).Item1);
        Assert.Equal(new long[] { 3L, 6 }, await Remaining());
        Assert.Equal(0, (await Purge("--table", "audit.users", "--before", DateTimeOffset.UtcNow.AddMinutes(1).ToString("O"))).Item1);
        Assert.Equal(new long[] { 3L }, await Remaining());
    }

    [Fact]
    public async Task Usage_errors_exit_2_before_anything_is_read()
    {
        (string[] Args, string Error)[] cases =
        [
            (["dead-letters"], "dead-letters needs an action: list, replay or purge"),
            (["dead-letters", "forget", "--all"], "unknown dead-letters action 'forget': use list, replay or purge"),
            (["dead-letters", "purge"], "dead-letters purge needs to be told which letters: --id ID[,ID…], --all or --before TIME (with --table T to keep to one table)"),
            (["dead-letters", "replay", "--table", "users"], "dead-letters replay needs to be told which letters: --id ID[,ID…] or --all (with --table T to keep to one table)"),
            (["dead-letters", "purge", "--id", "1", "--all"], "dead-letters purge takes one of --id ID[,ID…], --all or --before TIME, not several"),
            (["dead-letters", "replay", "--all", "--before", "7d"], "--before is not an option of dead-letters replay"),
            (["dead-letters", "purge", "--id", "x"], "--id needs dead-letter ids (whole numbers, as `ablypg dead-letters list` shows them), not 'x'"),
            (["dead-letters", "purge", "--before", "yesterday"], "--before needs a date or time (2026-11-20, 2026-11-20T10:00:00Z) or an age (90s, 30m, 12h, 7d), not 'yesterday'"),
            (["dead-letters", "list", "--limit", "0"], "--limit needs a whole number of at least 1, not '0'"),
            (["dead-letters", "list", "--table"], "--table needs a value"),
            (["dead-letters", "list", "--all"], "--all is not an option of dead-letters list"),
            (["dead-letters", "list", "--verbose"], "unknown option '--verbose' for dead-letters list"),
            (["status", "--tables"], "unknown option '--tables' for status"),
            (["status", "a.json", "b.json"], "status takes one CONFIG path; 'b.json' is one too many"),
        ];
        foreach (var (args, error) in cases)
        {
            using var cli = await CliProcess.RunAsync(args);
            Assert.Equal((2, "", "ablypg: error: " + error + " (run 'ablypg --help' for usage)\n"), (cli.ExitCode, cli.Output, cli.Error));
        }
    }

    private static (string Name, string Position) Change(ReceivedMessage message)
    {
        using var data = JsonDocument.Parse(message.DataString!);
        return (data.RootElement.GetProperty("new").GetProperty("name").GetString()!, data.RootElement.GetProperty("position").GetString()!);
    }

    private sealed record Letter(long Id, long ChangeId, string Position, string Kind, string Reason, string Data);

    private static async Task<List<Letter>> LettersAsync(string ops)
    {
        var letters = (await OperationsConfig.RunJsonAsync("dead-letters", "list", "--json", ops))
            .GetProperty("deadLetters").EnumerateArray();
        return letters.Select(l => new Letter(
            l.GetProperty("id").GetInt64(), long.Parse(l.GetProperty("position").GetString()!.Split('.')[0], System.Globalization.CultureInfo.InvariantCulture),
            l.GetProperty("position").GetString()!, l.GetProperty("kind").GetString()!, l.GetProperty("reason").GetString()!,
            l.GetProperty("data").GetRawText())).ToList();
    }
}
