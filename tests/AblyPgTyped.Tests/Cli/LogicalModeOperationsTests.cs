using System;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Config;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Xunit;
using Xunit.Abstractions;

namespace AblyPgTyped.Tests.Cli;

/// <summary>The operations commands on a capture schema in logical-replication mode, whose backlog is the slot's WAL.</summary>
[Collection(PostgresCollection.Name)]
public sealed class LogicalModeOperationsTests(PostgresFixture postgres, ITestOutputHelper output)
{
    private const string Notes = """CREATE TABLE notes ("Id" int PRIMARY KEY, "Title" text NOT NULL, "Body" text, "Secret" text);""";

    [Fact]
    public async Task Status_reports_the_slot_replay_refuses_and_uninstall_drops_the_slot_and_publications()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, CaptureMode.LogicalReplication, Notes);
        using var folder = new ConfigFolder();
        var ops = OperationsConfig.WriteJson(folder, ConfigTarget.Of(h));
        var connector = await h.StartConnectorAsync(h.Options(AblyPgTables.Note));
        await h.ExecuteAsync("""INSERT INTO notes VALUES (1, 'first', NULL, NULL)""");
        await h.WaitForMessagesAsync(1);

        var status = await OperationsConfig.RunJsonAsync("status", "--json", ops);
        output.WriteLine(status.ToString());
        var slotName = await h.ScalarAsync<string>("SELECT slot_name::text FROM pg_replication_slots WHERE database = current_database()");
        Assert.Equal("logical-replication", status.GetProperty("capture").GetString());
        var slot = status.GetProperty("replicationSlot");
        Assert.Equal((slotName, true), (slot.GetProperty("name").GetString(), slot.GetProperty("active").GetBoolean()));
        Assert.True(slot.GetProperty("unconfirmedBytes").GetInt64() >= 0);
        Assert.True(status.GetProperty("connector").GetProperty("active").GetBoolean());
        Assert.Equal(JsonValueKind.Null, status.GetProperty("backlog").ValueKind);
        Assert.Equal(0, status.GetProperty("deadLetters").GetProperty("count").GetInt64());
        var published = Assert.Single(status.GetProperty("capturedTables").EnumerateArray());
        Assert.Equal("notes", published.GetProperty("table").GetString());
        Assert.Equal(["insert", "update", "delete"], published.GetProperty("operations").EnumerateArray().Select(o => o.GetString()));

        using (var text = await CliProcess.RunAsync("status", ops))
        {
            Assert.Contains($"Capture:       logical replication, slot {slotName}, streaming to backend ", text.Output, StringComparison.Ordinal);
            Assert.Contains(" of WAL not yet confirmed", text.Output, StringComparison.Ordinal);
        }

        // A dead letter, as the connector records one: list and purge work, replay refuses and says why.
        await h.ExecuteAsync(
            """
            INSERT INTO ablypg.dead_letters (change_id, change_index, table_schema, table_name, op, reason, data)
            VALUES (7, 0, 'public', 'notes', 'U', 'Ably rejected the message: 40160', '[null, {"Id": 1}]')
            """);
        using (var replay = await CliProcess.RunAsync("dead-letters", "replay", "--all", ops))
        {
            Assert.Equal(1, replay.ExitCode);
            Assert.StartsWith($"ablypg: error: capture schema \"ablypg\" uses logical replication (slot {slotName}), which does not read the capture store",
                replay.Error, StringComparison.Ordinal);
        }

        Assert.Equal(1L, await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.dead_letters"));
        Assert.Equal(1L, (await OperationsConfig.RunJsonAsync("dead-letters", "list", "--json", ops)).GetProperty("total").GetInt64());

        await connector.StopAsync();
        using var uninstall = await CliProcess.RunAsync("uninstall", ops);
        Assert.Equal((0, ""), (uninstall.ExitCode, uninstall.Error));
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM pg_replication_slots WHERE database = current_database()"));
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM pg_publication"));
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM pg_namespace WHERE nspname = 'ablypg'"));
    }
}
