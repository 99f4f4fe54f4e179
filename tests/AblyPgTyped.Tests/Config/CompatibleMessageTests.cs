using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Xunit;

namespace AblyPgTyped.Tests.Config;

/// <summary>
/// With <c>ably.compatibleMessages</c>, subscribers get what the Node.js connector published: the name
/// <c>New message from the Ably/ Postgres connector</c> and the JSON text <c>{"table","type","row"}</c> as a plain string
/// (no encoding), with the row as PostgreSQL renders it.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class CompatibleMessageTests(PostgresFixture postgres)
{
    private const string Name = "New message from the Ably/ Postgres connector";

    [Fact]
    public async Task Compatible_messages_carry_the_original_name_and_json_text()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, ConfigFileTests.UsersTable);
        var expected = await PublishChangesAsync(h);

        var messages = h.Ably.GetMessages();
        Assert.Equal(expected.Select(e => e.Channel), messages.Select(m => m.Channel).Order());

        // The original's text came from json_build_object, which spaces its own keys; ours is the same, byte for byte.
        Assert.StartsWith("{\"table\" : \"users\", \"type\" : \"INSERT\", \"row\" : {\"id\":1,", expected[0].Original, System.StringComparison.Ordinal);
        foreach (var change in expected)
        {
            var message = Assert.Single(messages, m => m.Channel == change.Channel);
            Assert.Equal(Name, message.Name);
            Assert.Null(message.Encoding);
            change.AssertData(message.DataString);
        }
    }

    [Fact]
    public async Task Ably_js_reads_compatible_messages_back_as_the_original_string()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, ConfigFileTests.UsersTable);
        var expected = await PublishChangesAsync(h);

        var messages = await AblyJsHistory.ReadAsync(h.Ably.Port, ConnectorHarness.ApiKey, [.. expected.Select(e => e.Channel)]);

        Assert.Equal(3, messages.Count);
        foreach (var change in expected)
        {
            var message = Assert.Single(messages, m => m.Channel == change.Channel);
            Assert.Equal(Name, message.Name);
            Assert.Equal("string", message.DataType);
            Assert.Null(message.Encoding);
            change.AssertData(message.Data.GetString());
        }
    }

    /// <summary>
    /// Runs the all-operations example with compatibleMessages on; inserts, updates and deletes one row. Returns, per
    /// channel, the expected text and what the original's trigger built for the same row
    /// (<c>json_build_object('table', …, 'type', TG_OP, 'row', rec)::text</c>).
    /// </summary>
    private static async Task<List<ExpectedChange>> PublishChangesAsync(ConnectorHarness h)
    {
        using var folder = new ConfigFolder();
        var path = folder.WriteJsonExample("all-operations/default.json", ConfigTarget.Of(h), root => root["ably"]!["compatibleMessages"] = true);
        await using var connector = new Connector(path, h.Logs);
        await connector.StartAsync();

        async Task<(string Row, string Original)> CaptureAsync(string type) =>
            (await h.ScalarAsync<string>("SELECT to_json(u)::text FROM users u WHERE id = 1"),
             await h.ScalarAsync<string>($"SELECT json_build_object('table', 'users', 'type', '{type}', 'row', u)::text FROM users u WHERE id = 1"));

        await h.ExecuteAsync("INSERT INTO users VALUES (1, $1)", "O'Brien \"Ó\" <b>&\\ é中\tx");
        var inserted = await CaptureAsync("INSERT");
        await h.ExecuteAsync("UPDATE users SET name = $1 WHERE id = 1", "Ada\nLovelace \ud83d\ude00");
        var updated = await CaptureAsync("UPDATE");
        var deleted = await CaptureAsync("DELETE");
        await h.ExecuteAsync("DELETE FROM users WHERE id = 1");
        await h.WaitForMessagesAsync(3);

        return
        [
            new("ably-users-added", "INSERT", inserted.Row, inserted.Original),
            new("ably-users-removed", "DELETE", deleted.Row, deleted.Original),
            new("ably-users-updated", "UPDATE", updated.Row, updated.Original),
        ];
    }

    /// <summary>One change and what the original's trigger built for the same row, which the message must equal exactly.</summary>
    private sealed record ExpectedChange(string Channel, string Type, string Row, string Original)
    {
        public void AssertData(string? data) => Assert.Equal(Original, data);
    }
}
