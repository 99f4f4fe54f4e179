using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Config;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Xunit;
using Xunit.Abstractions;
using static AblyPgTyped.Tests.Connectors.DeliveryTests;

namespace AblyPgTyped.Tests.Cli;

/// <summary><c>ablypg status</c> against a real connector, its backlog and its dead letters, with a config that holds no API key.</summary>
[Collection(PostgresCollection.Name)]
public sealed class StatusCommandTests(PostgresFixture postgres, ITestOutputHelper output)
{
    [Fact]
    public async Task Status_json_reports_the_active_connector_its_backlog_per_table_and_channel_and_its_dead_letters()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, ConfigFileTests.UsersTable);
        using var folder = new ConfigFolder();
        var target = ConfigTarget.Of(h);
        var path = folder.WriteJsonExample("all-operations/default.json", target);
        var ops = OperationsConfig.WriteJson(folder, target);
        var connector = new Connector(path, h.Logs);
        await using (connector)
        {
            await connector.StartAsync();
            var standby = new Connector(path, h.Logs);
            await using var standbyScope = standby;
            await standby.StartAsync();
            Assert.False(standby.IsActive);

            // One delete refused for good (dead-lettered); then the updates' channel fails, so its changes wait in the store.
            h.Ably.Faults.FailNext(1, 400, 40160, "capability denied", channel: "ably-users-removed");
            await h.ExecuteAsync("INSERT INTO users VALUES (1, 'Ada')");
            await h.ExecuteAsync("DELETE FROM users WHERE id = 1");
            await Eventually(async () => await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.dead_letters") == 1);
            h.Ably.Faults.FailAll(503, 50300, "unavailable", channel: "ably-users-updated");
            await h.ExecuteAsync("INSERT INTO users VALUES (2, 'Grace'), (3, 'Edsger')");
            await h.ExecuteAsync("UPDATE users SET name = name || '!'");
            await Eventually(async () => await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.changes WHERE op <> 'U'") == 0);

            var status = await OperationsConfig.RunJsonAsync("status", "--json", ops);
            output.WriteLine(status.ToString());

            Assert.Equal(1, status.GetProperty("format").GetInt32());
            Assert.Equal((true, "ablypg", target.Database), (status.GetProperty("installed").GetBoolean(), status.GetProperty("captureSchema").GetString(), status.GetProperty("database").GetString()));
            Assert.Equal(await h.ScalarAsync<string>("SELECT value FROM ablypg.state WHERE key = 'install_id'"), status.GetProperty("installId").GetString());

            var active = status.GetProperty("connector");
            var leaderPid = await h.ScalarAsync<int>(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())");
            Assert.True(active.GetProperty("active").GetBoolean());
            Assert.Equal(leaderPid, active.GetProperty("pid").GetInt32());
            Assert.Equal("AblyPgTyped connector", active.GetProperty("applicationName").GetString());
            Assert.Equal(target.User, active.GetProperty("user").GetString());
            Assert.InRange(active.GetProperty("since").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(-2), DateTimeOffset.UtcNow.AddSeconds(5));
            Assert.InRange(active.GetProperty("silentSeconds").GetDouble(), 0, 5);

            var backlog = status.GetProperty("backlog");
            Assert.Equal(2, backlog.GetProperty("changes").GetInt64());
            Assert.Equal(2, backlog.GetProperty("storeRows").GetInt64()); // updates are captured per row
            var table = Assert.Single(backlog.GetProperty("tables").EnumerateArray());
            Assert.Equal(("public", "users", 2L), (table.GetProperty("schema").GetString(), table.GetProperty("table").GetString(), table.GetProperty("changes").GetInt64()));
            var channel = Assert.Single(backlog.GetProperty("channels").EnumerateArray());
            Assert.Equal(("ably-users-updated", 2L), (channel.GetProperty("channel").GetString(), channel.GetProperty("changes").GetInt64()));
            var oldest = backlog.GetProperty("oldestChange");
            var firstUpdate = await h.ScalarAsync<long>("SELECT min(id) FROM ablypg.changes");
            Assert.Equal((firstUpdate + ".0", "update", "users"), (oldest.GetProperty("position").GetString(), oldest.GetProperty("operation").GetString(), oldest.GetProperty("table").GetString()));
            Assert.InRange(oldest.GetProperty("ageSeconds").GetDouble(), 0, 60);
            Assert.Equal(oldest.GetProperty("ageSeconds").GetDouble(), backlog.GetProperty("lagSeconds").GetDouble());

            var deadLetters = status.GetProperty("deadLetters");
            Assert.Equal(1, deadLetters.GetProperty("count").GetInt64());
            var group = Assert.Single(deadLetters.GetProperty("groups").EnumerateArray());
            Assert.Equal(("users", "rejected", 1L), (group.GetProperty("table").GetString(), group.GetProperty("kind").GetString(), group.GetProperty("count").GetInt64()));
            Assert.StartsWith("Ably rejected the message: 40160", group.GetProperty("latestReason").GetString(), StringComparison.Ordinal);

            Assert.Empty(status.GetProperty("backfills").EnumerateArray());
            var store = status.GetProperty("store");
            Assert.True(store.GetProperty("changesBytes").GetInt64() > 0);
            Assert.True(store.GetProperty("totalBytes").GetInt64() >= store.GetProperty("changesBytes").GetInt64() + store.GetProperty("deadLettersBytes").GetInt64());
            var captured = Assert.Single(status.GetProperty("capturedTables").EnumerateArray());
            Assert.Equal(["insert", "update", "delete"], captured.GetProperty("operations").EnumerateArray().Select(o => o.GetString()));
            Assert.Empty(status.GetProperty("unreadable").EnumerateArray());

            using var text = await CliProcess.RunAsync("status", ops);
            output.WriteLine(text.Output);
            Assert.Equal((0, ""), (text.ExitCode, text.Error));
            Assert.Contains($"Connector:     active, backend {leaderPid}, user {target.User}", text.Output, StringComparison.Ordinal);
            Assert.Contains("Backlog:       2 change(s) waiting, in 2 store row(s)", text.Output, StringComparison.Ordinal);
            Assert.Contains("Dead letters:  1", text.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(target.Password!, status.ToString() + text.Output, StringComparison.Ordinal);
        }

        // Both connectors stopped: nobody leads, and the changes still wait. A .env file with DB_* alone is enough.
        var stopped = await OperationsConfig.RunJsonAsync("status", "--json", OperationsConfig.WriteEnv(folder, target));
        Assert.False(stopped.GetProperty("connector").GetProperty("active").GetBoolean());
        Assert.Equal(JsonValueKind.Null, stopped.GetProperty("connector").GetProperty("pid").ValueKind);
        Assert.Equal(2, stopped.GetProperty("backlog").GetProperty("changes").GetInt64());
        using var idle = await CliProcess.RunAsync("status", ops);
        Assert.Contains("Connector:     none active", idle.Output, StringComparison.Ordinal);
        Assert.Contains("No connector is active: changes wait in the store until one starts", idle.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task As_the_connectors_least_privilege_role_status_names_what_it_may_not_read_and_purge_fails_cleanly()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, ConfigFileTests.UsersTable);
        using var folder = new ConfigFolder();
        var target = ConfigTarget.Of(h);
        var path = folder.WriteJsonExample("all-operations/default.json", target);
        await using (var connector = new Connector(path))
        {
            await connector.StartAsync();
        }

        const string Password = "reader-pa55";
        var role = "ops_reader_" + Guid.NewGuid().ToString("N")[..8]; // roles are the cluster's, shared by every test
        await h.ExecuteAsync($"CREATE ROLE {role} LOGIN PASSWORD '{Password}'");
        using (var grants = await CliProcess.RunAsync("grants", "--role", role, path))
        {
            await h.ExecuteAsync(grants.Output);
        }

        // As a DBA who applied an older grant script would have it: dead letters not readable.
        await h.ExecuteAsync($"REVOKE SELECT ON ablypg.dead_letters FROM {role}");

        await h.ExecuteAsync("INSERT INTO users VALUES (1, 'Ada')");
        var ops = OperationsConfig.WriteJson(folder, target with { User = role, Password = Password }, "role/default.json");
        var status = await OperationsConfig.RunJsonAsync("status", "--json", ops);
        Assert.Equal(1, status.GetProperty("backlog").GetProperty("changes").GetInt64());
        Assert.Equal(JsonValueKind.Null, status.GetProperty("deadLetters").ValueKind);
        Assert.Contains("dead letters: permission denied for table dead_letters", status.GetProperty("unreadable").EnumerateArray().Select(u => u.GetString()));

        using var purge = await CliProcess.RunAsync("dead-letters", "purge", "--all", ops);
        Assert.Equal((1, "ablypg: error: PostgreSQL: 42501: permission denied for table dead_letters\n"), (purge.ExitCode, purge.Error));
        Assert.DoesNotContain(Password, status.ToString() + purge.Output + purge.Error, StringComparison.Ordinal);
    }

    /// <summary>The query docs/operations.md gives for finding capture schemas, as written there.</summary>
    private static string RunbookQuery()
    {
        var doc = System.IO.File.ReadAllText(RepositoryPaths.Combine("docs", "operations.md"));
        var from = doc.IndexOf("```sql\n", doc.IndexOf("**Find them.**", StringComparison.Ordinal), StringComparison.Ordinal) + "```sql\n".Length;
        return doc[from..doc.IndexOf("```", from, StringComparison.Ordinal)].Trim().TrimEnd(';');
    }

    [Fact]
    public async Task An_abandoned_capture_schema_is_found_by_its_status_and_removed_alone_with_no_config_file()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, ConfigFileTests.UsersTable);
        using var folder = new ConfigFolder();
        using var oldFolder = new ConfigFolder();
        var target = ConfigTarget.Of(h);
        foreach (var path in new[]
                 {
                     folder.WriteJsonExample("all-operations/default.json", target),
                     oldFolder.WriteJsonExample("all-operations/default.json", target, root => root["captureSchema"] = "old_capture"),
                 })
        {
            await using var connector = new Connector(path);
            await connector.StartAsync();
        }

        // Both stores capture the write; nobody drains either. The runbook's query finds both, and what they capture.
        await h.ExecuteAsync("INSERT INTO users VALUES (1, 'Ada')");
        await using (var find = h.Database.CreateCommand(RunbookQuery() + " ORDER BY 1"))
        await using (var reader = await find.ExecuteReaderAsync())
        {
            var found = new List<(string, string)>();
            while (await reader.ReadAsync())
            {
                found.Add((reader.GetString(0), reader.GetString(1)));
            }

            Assert.Equal([("ablypg", "users"), ("old_capture", "users")], found);
        }

        var environment = new Dictionary<string, string>
        {
            ["DB_HOST"] = target.Host,
            ["DB_PORT"] = target.Port.ToString(CultureInfo.InvariantCulture),
            ["DB_USER"] = target.User,
            ["DB_PASSWORD"] = target.Password ?? "",
            ["DB_NAME"] = target.Database,
            ["ABLYPG_CAPTURE_SCHEMA"] = "old_capture",
        };
        using (var status = CliProcess.Start(environment, "status", "--json"))
        {
            Assert.Equal(0, await status.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            using var json = JsonDocument.Parse(status.Output);
            var root = json.RootElement;
            Assert.Equal((true, "old_capture", false), (root.GetProperty("installed").GetBoolean(), root.GetProperty("captureSchema").GetString(),
                root.GetProperty("connector").GetProperty("active").GetBoolean()));
            Assert.Equal(1, root.GetProperty("backlog").GetProperty("changes").GetInt64());
            Assert.Equal("users", Assert.Single(root.GetProperty("capturedTables").EnumerateArray()).GetProperty("table").GetString());
        }

        var elsewhere = await OperationsConfig.RunJsonAsync("status", "--json", OperationsConfig.WriteJson(folder, target, "elsewhere/default.json", captureSchema: "elsewhere"));
        Assert.Equal((false, "elsewhere"), (elsewhere.GetProperty("installed").GetBoolean(), elsewhere.GetProperty("captureSchema").GetString()));
        Assert.Equal(JsonValueKind.Null, elsewhere.GetProperty("backlog").ValueKind);

        // The runbook's removal: from the environment, with no config file; the other capture schema is untouched.
        using (var uninstall = CliProcess.Start(environment, "uninstall"))
        {
            Assert.Equal(0, await uninstall.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal("", uninstall.Error);
        }

        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM pg_namespace WHERE nspname = 'old_capture'"));
        using (var gone = CliProcess.Start(environment, "dead-letters", "list"))
        {
            Assert.Equal(1, await gone.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal($"ablypg: error: database \"{target.Database}\" has no capture store in schema \"old_capture\", so it has no dead letters: " +
                         "check the capture schema (captureSchema, ABLYPG_CAPTURE_SCHEMA).\n", gone.Error);
        }

        Assert.Equal(3L, await h.ScalarAsync<long>("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'users'::regclass"));
        var ops = OperationsConfig.WriteJson(folder, target);
        var kept = await OperationsConfig.RunJsonAsync("status", "--json", ops);
        Assert.Equal((true, 1L), (kept.GetProperty("installed").GetBoolean(), kept.GetProperty("backlog").GetProperty("changes").GetInt64()));

        // A config with neither tables nor a key removes the other one too.
        using var last = await CliProcess.RunAsync("uninstall", ops);
        Assert.Equal((0, ""), (last.ExitCode, last.Error));
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'users'::regclass"));
        Assert.False((await OperationsConfig.RunJsonAsync("status", "--json", ops)).GetProperty("installed").GetBoolean());
    }
}
