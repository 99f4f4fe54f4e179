using System;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using AblyPgTyped.Capture;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Xunit;
using static AblyPgTyped.Tests.Connectors.AblyLimitsTests;
using static AblyPgTyped.Tests.Connectors.DeliveryTests;

namespace AblyPgTyped.Tests.Connectors;

/// <summary>A change the connector cannot turn into a message is dead-lettered alone, with its reason; the rest flow.</summary>
[Collection(PostgresCollection.Name)]
public class PoisonChangeTests(PostgresFixture postgres)
{
    /// <summary>The capture mode the tests run in; a subclass runs them all again in another.</summary>
    protected virtual CaptureMode Capture => CaptureMode.Triggers;

    /// <summary>Deeper than the 64 levels a JSON reader allows by default.</summary>
    private const int Depth = 70;

    [Fact]
    public async Task A_jsonb_value_nested_70_deep_is_dead_lettered_and_the_rows_behind_it_flow()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Capture, MoreSchemas.Docs, MoreSchemas.Notes);
        var options = h.Options(AblyPgTables.Doc);
        options.UntypedMappings.Add(new UntypedMapping("public", "notes", "notes", null, null)); // as the original's config maps it
        await h.StartConnectorAsync(options);
        var deep = new string('[', Depth) + new string(']', Depth);

        // On each channel: a poison change alone in its store row, then one in the middle of a three-row statement.
        foreach (var (table, columns) in new[] { ("docs", """("Id", "Body")"""), ("notes", "(id, body)") })
        {
            await h.ExecuteAsync($"INSERT INTO {table} {columns} VALUES (1, '{{\"n\": 1}}')");
            await h.ExecuteAsync($"INSERT INTO {table} {columns} VALUES (2, $1::jsonb)", deep);
            await h.ExecuteAsync($"INSERT INTO {table} {columns} VALUES (3, '[3]'), (4, $1::jsonb), (5, 'null')", deep);
            await h.ExecuteAsync($"INSERT INTO {table} {columns} VALUES (6, '\"six\"')");
        }

        await WaitUntilAsync(async () => await h.BacklogAsync() == 0, TimeSpan.FromSeconds(20), async () => $"{await h.DescribeBacklogAsync()}; {Describe(h)}");
        await Task.Delay(300);

        // Every row behind the poison ones arrived, in order, on both channels.
        Assert.Equal([1, 3, 5, 6], h.Ably.GetMessages("docs").SelectMany(m => AblyPgTables.Doc.ReadChanges(m.DataString!)).Select(c => c.New!.Id));
        Assert.Equal([1, 3, 5, 6], h.Ably.GetMessages("notes").SelectMany(UntypedChanges).Select(c => c.Id));

        // The poison ones are in the dead-letter table, each alone, with the reason and the captured row.
        await using var command = h.Database.CreateCommand(
            "SELECT table_name, change_index, channel, reason, data::text FROM ablypg.dead_letters ORDER BY table_name, change_id, change_index");
        await using var reader = await command.ExecuteReaderAsync();
        var letters = new System.Collections.Generic.List<(string Table, int Index, string? Channel, string Reason, string Data)>();
        while (await reader.ReadAsync())
        {
            letters.Add((reader.GetString(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3), reader.GetString(4)));
        }

        Assert.Equal([("docs", 0), ("docs", 1), ("notes", 0), ("notes", 1)], letters.Select(l => (l.Table, l.Index)));
        Assert.All(letters, l =>
        {
            Assert.StartsWith("the captured row does not fit the mapping: ", l.Reason, StringComparison.Ordinal);
            Assert.Contains("depth", l.Reason, StringComparison.OrdinalIgnoreCase);
            Assert.Contains(new string('[', Depth), l.Data.Replace(" ", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        });
        Assert.Equal([2, 4, 2, 4], letters.Select(l =>
        {
            using var data = JsonDocument.Parse(l.Data, new JsonDocumentOptions { MaxDepth = 256 });
            return data.RootElement.GetProperty(l.Table == "docs" ? "Id" : "id").GetInt32();
        }));

        // Each poison change was logged once, and the stream never restarted over it.
        Assert.Equal(4, h.Logs.Entries.Count(e => e.EventId == 1101));
        Assert.DoesNotContain(h.Logs.Entries, e => e.EventId == 1002);
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.changes"));
    }

    [Fact]
    public async Task A_placeholder_that_resolves_to_an_invalid_channel_is_dead_lettered()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Capture, MoreSchemas.Rooms);
        await h.StartConnectorAsync(h.Options(AblyPgTables.Room));

        await h.ExecuteAsync("""INSERT INTO rooms VALUES (1, '[meta]log'), (2, 'lobby'), (3, ':x')""");
        var message = Assert.Single(await h.WaitForMessagesAsync(1));
        await Eventually(async () => await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.dead_letters") == 2);

        Assert.Equal("lobby", message.Channel);
        Assert.Equal(
            "the resolved channel '[meta]log' is not valid: it starts with '[', which Ably reserves for channel qualifiers such as [meta]",
            await h.ScalarAsync<string>("SELECT reason FROM ablypg.dead_letters WHERE change_index = 0"));
    }

    [Fact]
    public async Task A_message_Ably_rejects_for_good_is_dead_lettered_and_the_rest_flow()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Capture, MoreSchemas.Rooms);
        await h.StartConnectorAsync(h.Options(AblyPgTables.Room));
        h.Ably.Faults.FailNext(1, 400, 40160, "capability denied", channel: "secret");

        await h.ExecuteAsync("""INSERT INTO rooms VALUES (1, 'secret'), (2, 'public')""");
        var message = Assert.Single(await h.WaitForMessagesAsync(1));
        await Eventually(async () => await h.BacklogAsync() == 0);

        Assert.Equal("public", message.Channel);
        Assert.StartsWith("Ably rejected the message: 40160 (HTTP 400)", await h.ScalarAsync<string>("SELECT reason FROM ablypg.dead_letters"), StringComparison.Ordinal);
        Assert.Equal("secret", await h.ScalarAsync<string>("SELECT channel FROM ablypg.dead_letters"));
    }
}
