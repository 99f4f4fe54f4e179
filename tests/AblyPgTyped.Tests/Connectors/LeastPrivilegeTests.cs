using System;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Cli;
using AblyPgTyped.Tests.Config;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Npgsql;
using Xunit;
using static AblyPgTyped.Tests.Connectors.DeliveryTests;

namespace AblyPgTyped.Tests.Connectors;

/// <summary>
/// The DBA installs (<c>ablypg sql</c>) and grants (<c>ablypg grants</c>); the connector runs as a role that may only use
/// the capture store, starts without any DDL, and names the privilege it lacks when it would need more.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class LeastPrivilegeTests(PostgresFixture postgres)
{
    private const string Password = "connector-pa55";

    [Fact]
    public async Task A_role_with_only_the_grants_runs_from_a_dba_applied_install_without_ddl_and_publishes()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, ConfigFileTests.UsersTable);
        var role = await CreateRoleAsync(h);
        using var dbaFolder = new ConfigFolder();
        var dbaConfig = dbaFolder.WriteJsonExample("all-operations/default.json", ConfigTarget.Of(h));
        using var sql = await CliProcess.RunAsync("sql", dbaConfig);
        using var grants = await CliProcess.RunAsync("grants", "--role", role, dbaConfig);
        Assert.Equal((0, 0), (sql.ExitCode, grants.ExitCode));
        await h.ExecuteAsync(sql.Output);
        await h.ExecuteAsync(grants.Output);
        await RefuseDdlByAsync(h, role);

        using var appFolder = new ConfigFolder();
        var appConfig = appFolder.WriteJsonExample("all-operations/default.json", ConfigTarget.Of(h) with { User = role, Password = Password });
        await using (var connector = new Connector(appConfig, h.Logs))
        {
            await connector.StartAsync();
            Assert.True(connector.IsActive);

            await h.ExecuteAsync("INSERT INTO users VALUES (1, 'Ada')");
            await h.ExecuteAsync("UPDATE users SET name = 'Ada L' WHERE id = 1");
            await h.ExecuteAsync("INSERT INTO users VALUES (2, repeat('x', 70000))"); // over Ably's 64 KiB: a dead letter, written by the role
            await h.ExecuteAsync("DELETE FROM users WHERE id = 1");
            var messages = await h.WaitForMessagesAsync(3);
            Assert.Equal(["delete", "insert", "update"], messages.Select(m => m.Name).Order()); // three channels: no order between them
            await Eventually(async () => await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.changes") == 0);
            Assert.Equal(1L, await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.dead_letters"));
        }

        Assert.DoesNotContain(h.Logs.Entries, e => e.EventId is 1113 or 1004);
    }

    [Fact]
    public async Task A_role_that_would_have_to_install_names_what_it_lacks_and_what_to_run()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, ConfigFileTests.UsersTable);
        var role = await CreateRoleAsync(h);
        using var dbaFolder = new ConfigFolder();
        var insertsOnly = dbaFolder.WriteJsonExample("config/default.json", ConfigTarget.Of(h));
        using var sql = await CliProcess.RunAsync("sql", insertsOnly);
        using var grants = await CliProcess.RunAsync("grants", "--role", role, insertsOnly);
        await h.ExecuteAsync(sql.Output);
        await h.ExecuteAsync(grants.Output);

        // The application's configuration now also maps updates and deletes, which the DBA has not installed.
        using var appFolder = new ConfigFolder();
        var allOperations = appFolder.WriteJsonExample("all-operations/default.json", ConfigTarget.Of(h) with { User = role, Password = Password });
        await using var connector = new Connector(allOperations);
        var error = await Assert.ThrowsAsync<ConnectorStartException>(() => connector.StartAsync());

        var database = new NpgsqlConnectionStringBuilder(h.ConnectionString).Database;
        Assert.StartsWith(
            "The capture installed in schema \"ablypg\" does not match the mappings (the updates of \"public\".\"users\" on channel 'ably-users-updated' are not recorded as installed, ",
            error.Message,
            StringComparison.Ordinal);
        Assert.Contains($"and role \"{role}\" may not install it: it lacks CREATE on database {database}, ", error.Message, StringComparison.Ordinal);
        Assert.Contains("TRIGGER on table public.users", error.Message, StringComparison.Ordinal);
        Assert.EndsWith($"Run `ablypg sql` (ConnectorOptions.GetInstallSql in code) and apply its output as the database owner, or grant {role} what it lacks.", error.Message, StringComparison.Ordinal);
        Assert.Equal(1L, await h.ScalarAsync<long>("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'users'::regclass"));
    }

    [Fact]
    public async Task A_role_without_the_store_grants_is_told_which_one_is_missing()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        var (role, _, options) = await InstallAndGrantUsersAsync(h);
        await h.ExecuteAsync($"REVOKE DELETE ON ablypg.changes FROM \"{role}\"");

        await using var connector = new Connector(options);
        var error = await Assert.ThrowsAsync<ConnectorStartException>(() => connector.StartAsync());

        Assert.Equal(
            $"Role \"{role}\" lacks DELETE on table \"ablypg\".\"changes\", which the connector needs to use the capture store. " +
            $"Apply the output of `ablypg grants --role {role}` as the owner (ConnectorOptions.GetGrantSql in code).",
            error.Message);
    }

    [Fact]
    public void The_grant_script_is_the_one_list_of_store_privileges()
    {
        var options = new ConnectorOptions { ConnectionString = "Host=x;Database=shop", CaptureSchema = "cdc", Ably = { ApiKey = "a.b:c" } };
        options.Tables.Add(AblyPgTables.User);

        var grants = options.GetGrantSql("app_connector").Split('\n').Where(l => l.StartsWith("GRANT", StringComparison.Ordinal)).Select(l => l.Split("   --")[0]);

        Assert.Equal(
            [
                "GRANT CONNECT ON DATABASE \"shop\" TO \"app_connector\";",
                "GRANT USAGE ON SCHEMA \"cdc\" TO \"app_connector\";",
                "GRANT SELECT, UPDATE, DELETE ON TABLE \"cdc\".\"changes\" TO \"app_connector\";",
                "GRANT SELECT, INSERT ON TABLE \"cdc\".\"dead_letters\" TO \"app_connector\";",
                "GRANT SELECT, INSERT, DELETE ON TABLE \"cdc\".\"sent_cuts\" TO \"app_connector\";",
                "GRANT SELECT ON TABLE \"cdc\".\"mappings\" TO \"app_connector\";",
                "GRANT SELECT ON TABLE \"cdc\".\"state\" TO \"app_connector\";",
                "GRANT SELECT, UPDATE ON TABLE \"cdc\".\"wakeup\" TO \"app_connector\";",
                "GRANT INSERT ON TABLE \"cdc\".\"changes\" TO \"app_connector\";",
                "GRANT SELECT, INSERT, UPDATE ON TABLE \"cdc\".\"backfills\" TO \"app_connector\";",
            ],
            grants);

        // Backfilling a table needs SELECT and UPDATE on it: offered, as a comment, for the DBA to choose.
        Assert.Contains("\n-- GRANT SELECT, UPDATE ON TABLE \"public\".\"users\" TO \"app_connector\";\n", options.GetGrantSql("app_connector"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_backfill_by_a_role_with_the_grants_names_the_table_grant_it_lacks_and_runs_once_it_is_given()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        var (role, dba, options) = await InstallAndGrantUsersAsync(h);
        await h.ExecuteAsync("INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 50) g");
        var connector = await h.StartConnectorAsync(options);

        // Requested by the role itself: refused at once, with the grant to run.
        var refused = await Assert.ThrowsAsync<AblyPgTyped.Publishing.AblyConfigurationException>(() => connector.BackfillAsync<User>());
        var grant = $"GRANT SELECT, UPDATE ON TABLE \"public\".\"users\" TO \"{role}\";";
        Assert.StartsWith(
            $"Backfill refused: role \"{role}\" may not backfill \"public\".\"users\": it lacks SELECT on table \"public\".\"users\", UPDATE on table \"public\".\"users\". Run as the owner: {grant} (a backfill reads the rows FOR SHARE",
            refused.Message,
            StringComparison.Ordinal);

        // The commented line of the grant script is that grant.
        var offered = dba.GetGrantSql(role).Split('\n').Single(l => l.StartsWith("-- GRANT", StringComparison.Ordinal))[3..];
        Assert.Equal(grant, offered);
        await h.ExecuteAsync(offered);
        var done = await connector.WaitForBackfillAsync((await connector.BackfillAsync<User>()).Id);
        Assert.Equal(("done", 50L), (done.State, done.RowsDone));
        Assert.Equal(50, h.Ably.GetMessages("users").Count(m => m.Name == "snapshot"));

        // Requested by the owner while the role lacks the grant again: the role's connector fails it, saying why.
        await h.ExecuteAsync($"REVOKE UPDATE ON users FROM \"{role}\"");
        await using var owner = new Connector(h.Options(AblyPgTables.User));
        var failed = await owner.WaitForBackfillAsync((await owner.BackfillAsync<User>()).Id);
        Assert.Equal("failed", failed.State);
        Assert.StartsWith($"role \"{role}\" may not backfill \"public\".\"users\": it lacks UPDATE on table \"public\".\"users\". Run as the owner: {grant}", failed.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(h.Logs.Entries, e => e.Text.Contains("permission denied", StringComparison.Ordinal));
    }

    /// <summary>
    /// The users mapping installed and granted by the owner (GetInstallSql, GetGrantSql) for a new role; the owner's
    /// options, and the same options connecting as that role.
    /// </summary>
    private static async Task<(string Role, ConnectorOptions Dba, ConnectorOptions AsRole)> InstallAndGrantUsersAsync(ConnectorHarness h)
    {
        var role = await CreateRoleAsync(h);
        var dba = h.Options(AblyPgTables.User);
        await h.ExecuteAsync(dba.GetInstallSql());
        await h.ExecuteAsync(dba.GetGrantSql(role));
        var options = h.Options(AblyPgTables.User);
        options.ConnectionString = new NpgsqlConnectionStringBuilder(h.ConnectionString) { Username = role, Password = Password }.ConnectionString;
        return (role, dba, options);
    }

    /// <summary>A login role with no privileges but those of PUBLIC (roles are cluster-wide: each test makes its own).</summary>
    private static async Task<string> CreateRoleAsync(ConnectorHarness h)
    {
        var role = "app_connector_" + Guid.NewGuid().ToString("N")[..8];
        await h.ExecuteAsync($"CREATE ROLE \"{role}\" LOGIN PASSWORD '{Password}'");
        return role;
    }

    /// <summary>Any DDL the role attempts fails, so a start that succeeds ran none.</summary>
    private static async Task RefuseDdlByAsync(ConnectorHarness h, string role) =>
        await h.ExecuteAsync($$"""
            CREATE FUNCTION public.refuse_connector_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $f$
            BEGIN
                IF session_user = '{{role}}' THEN
                    RAISE EXCEPTION 'DDL (%) run by the connector role', tg_tag;
                END IF;
            END
            $f$;
            CREATE EVENT TRIGGER refuse_connector_ddl ON ddl_command_start EXECUTE FUNCTION public.refuse_connector_ddl();
            """);
}
