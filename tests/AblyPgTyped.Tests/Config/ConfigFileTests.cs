using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using AblyPgTyped.LocalAbly;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Xunit;

namespace AblyPgTyped.Tests.Config;

/// <summary>
/// The original's example files (Config/Examples), unchanged in shape, run end to end: <c>new Connector(path)</c>
/// against a real PostgreSQL and the local endpoint, for the original's example table, which has no primary key.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ConfigFileTests(PostgresFixture postgres)
{
    public const string UsersTable = "CREATE TABLE users (id integer, name text)";

    [Fact]
    public async Task Default_json_publishes_inserts_on_ably_users_added_in_the_typed_shape()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, UsersTable);
        using var folder = new ConfigFolder();
        var path = folder.WriteJsonExample("config/default.json", ConfigTarget.Of(h));

        await using (var connector = new Connector(path, h.Logs))
        {
            await connector.StartAsync();
            await h.ExecuteAsync("INSERT INTO users VALUES (1, 'Ada'), (2, NULL)");
            await h.ExecuteAsync("UPDATE users SET name = 'Ada L' WHERE id = 1");
            await h.ExecuteAsync("DELETE FROM users WHERE id = 2");
            await h.ExecuteAsync("INSERT INTO users VALUES (3, 'Cy')");

            // Only INSERT is mapped: the update and delete are not captured, so the third message is the last insert.
            var messages = await h.WaitForMessagesAsync(3);
            Assert.All(messages, m => Assert.Equal(("ably-users-added", "insert", "json"), (m.Channel, m.Name, m.Encoding)));
            Assert.Equal([1, 2, 3], messages.Select(m => Data(m).GetProperty("new").GetProperty("id").GetInt32()));

            var first = Data(messages[0]);
            Assert.Equal("public", first.GetProperty("schema").GetString());
            Assert.Equal("users", first.GetProperty("table").GetString());
            Assert.Equal("insert", first.GetProperty("operation").GetString());
            Assert.Equal("""{"id":1,"name":"Ada"}""", first.GetProperty("new").GetRawText());
            Assert.Equal("""{"id":2,"name":null}""", Data(messages[1]).GetProperty("new").GetRawText());
            Assert.False(first.TryGetProperty("key", out _));
            Assert.False(first.TryGetProperty("old", out _));
            Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'users'::regclass AND tgname <> 'ablypg_capture_insert'"));
        }

        Assert.Equal(3, h.Ably.GetMessages().Count);
    }

    [Fact]
    public async Task Env_file_publishes_inserts_updates_and_deletes_of_a_table_without_a_key()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, UsersTable);
        using var folder = new ConfigFolder();
        var path = folder.WriteEnvExample("all-operations/.env", ConfigTarget.Of(h));

        await using var connector = new Connector(path, h.Logs);
        await connector.StartAsync();
        await h.ExecuteAsync("INSERT INTO users VALUES (1, 'Ada')");
        await h.ExecuteAsync("UPDATE users SET name = 'Ada L' WHERE id = 1");
        await h.ExecuteAsync("DELETE FROM users WHERE id = 1");
        var messages = await h.WaitForMessagesAsync(3);

        var added = Assert.Single(messages, m => m.Channel == "ably-users-added");
        Assert.Equal("insert", added.Name);
        Assert.Equal("""{"id":1,"name":"Ada"}""", Data(added).GetProperty("new").GetRawText());

        var updated = Assert.Single(messages, m => m.Channel == "ably-users-updated");
        Assert.Equal("update", updated.Name);
        Assert.Equal("""{"id":1,"name":"Ada"}""", Data(updated).GetProperty("old").GetRawText());
        Assert.Equal("""{"id":1,"name":"Ada L"}""", Data(updated).GetProperty("new").GetRawText());

        var removed = Assert.Single(messages, m => m.Channel == "ably-users-removed");
        Assert.Equal("delete", removed.Name);
        Assert.Equal("""{"id":1,"name":"Ada L"}""", Data(removed).GetProperty("old").GetRawText());
        Assert.False(Data(removed).TryGetProperty("new", out _));
        Assert.All(messages, m => Assert.False(Data(m).TryGetProperty("key", out _)));
    }

    internal static JsonElement Data(ReceivedMessage message) => JsonDocument.Parse(message.DataString!).RootElement;
}
