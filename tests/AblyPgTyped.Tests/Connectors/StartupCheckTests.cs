using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.LocalPostgres;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Microsoft.Extensions.Logging;
using Npgsql;
using Xunit;
using static AblyPgTyped.Tests.Connectors.DeliveryTests;

namespace AblyPgTyped.Tests.Connectors;

/// <summary>What the connector checks at start, in the active connector and in a standby, and what it reports.</summary>
[Collection(PostgresCollection.Name)]
public sealed class StartupCheckTests(PostgresFixture postgres)
{
    private const string MistypedMessage =
        "Capture was not installed: column \"Name\" of \"public\".\"mistyped\" is text, but AblyPgTyped.Tests.Mistyped.Name is int, " +
        "which needs smallint, integer, bigint or numeric.";

    [Fact]
    public async Task A_column_whose_type_does_not_fit_its_property_is_refused_at_start()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, StartupCheckSchemas.Mistyped);
        await using var connector = new Connector(h.Options(AblyPgTables.Mistyped));

        var error = await Assert.ThrowsAsync<ConnectorStartException>(() => connector.StartAsync());

        Assert.Equal(MistypedMessage, error.Message);
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM pg_namespace WHERE nspname = 'ablypg'"));
    }

    [Fact]
    public async Task A_standby_checks_its_mappings_before_start_returns()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users, StartupCheckSchemas.Mistyped);
        var active = await h.StartConnectorAsync(h.Options(AblyPgTables.User));
        Assert.True(active.IsActive);

        await using var standby = new Connector(h.Options(AblyPgTables.User, AblyPgTables.Mistyped));
        var error = await Assert.ThrowsAsync<ConnectorStartException>(() => standby.StartAsync());

        Assert.Equal(MistypedMessage, error.Message);
        Assert.False(standby.IsActive);
        await h.ExecuteAsync("""INSERT INTO users VALUES (1, 'Ada', NULL)""");
        Assert.Single(await h.WaitForMessagesAsync(1));
    }

    [Fact]
    public async Task A_dropped_mapped_table_is_reported_and_set_aside_while_the_other_tables_flow()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users, Schemas.Audit);
        var first = await h.StartConnectorAsync(h.Options(AblyPgTables.User, AblyPgTables.Audit));
        await first.StopAsync();
        await h.ExecuteAsync("""INSERT INTO audit VALUES (1, 'captured before the drop')""");
        await h.ExecuteAsync("DROP TABLE audit");

        var second = await h.StartConnectorAsync(h.Options(AblyPgTables.User, AblyPgTables.Audit));
        await h.ExecuteAsync("""INSERT INTO users VALUES (1, 'Ada', NULL)""");

        var messages = await h.WaitForMessagesAsync(2);
        Assert.True(second.IsActive);
        Assert.Equal(["audit", "users"], messages.Select(m => m.Channel).Order(StringComparer.Ordinal));
        var warning = Assert.Single(h.Logs.Entries, e => e.EventId == 1110);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains(
            "Table \"public\".\"audit\" (mapped by AblyPgTyped.Tests.Audit) no longer exists: its capture is set aside and the other tables go on.",
            warning.Text,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_renamed_mapped_table_is_reported_by_its_new_name_and_its_changes_still_flow()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users, Schemas.Audit);
        var first = await h.StartConnectorAsync(h.Options(AblyPgTables.User, AblyPgTables.Audit));
        await first.StopAsync();
        await h.ExecuteAsync("ALTER TABLE audit RENAME TO audit_log");

        await h.StartConnectorAsync(h.Options(AblyPgTables.User, AblyPgTables.Audit));
        await h.ExecuteAsync("""INSERT INTO audit_log VALUES (7, 'after the rename')""");
        await h.ExecuteAsync("""INSERT INTO users VALUES (1, 'Ada', NULL)""");

        var messages = await h.WaitForMessagesAsync(2);
        Assert.Equal(["audit", "users"], messages.Select(m => m.Channel).Order(StringComparer.Ordinal));
        Assert.Equal(7, AblyPgTables.Audit.ReadChanges(messages.Single(m => m.Channel == "audit").DataString!).Single().New!.Id);
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.dead_letters"));
        var warning = Assert.Single(h.Logs.Entries, e => e.EventId == 1111);
        Assert.Contains("Table \"public\".\"audit\" (mapped by AblyPgTyped.Tests.Audit) was renamed to \"public\".\"audit_log\"", warning.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_restart_over_the_installed_capture_runs_no_ddl_and_a_changed_mapping_reinstalls()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users, Schemas.Audit);
        var first = await h.StartConnectorAsync(h.Options(AblyPgTables.User));
        await first.StopAsync();
        var installedAt = await h.ScalarAsync<DateTime>("SELECT max(installed_at) FROM ablypg.mappings");

        var second = await h.StartConnectorAsync(h.Options(AblyPgTables.User));
        await second.StopAsync();
        Assert.Equal(installedAt, await h.ScalarAsync<DateTime>("SELECT max(installed_at) FROM ablypg.mappings"));
        Assert.Single(h.Logs.Entries, e => e.EventId == 1113);

        await h.StartConnectorAsync(h.Options(AblyPgTables.User, AblyPgTables.Audit));
        var reinstalled = h.Logs.Entries.Where(e => e.EventId == 1113).ToList();
        Assert.Equal(2, reinstalled.Count);
        Assert.Contains("the inserts of \"public\".\"audit\" on channel 'audit' are not recorded as installed", reinstalled[1].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_store_not_drained_for_longer_than_the_threshold_is_reported_at_start()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        var first = await h.StartConnectorAsync(h.Options(AblyPgTables.User));
        await first.StopAsync();
        await h.ExecuteAsync("""INSERT INTO users SELECT g, 'u' || g, NULL FROM generate_series(1, 3) g""");
        await h.ExecuteAsync("""INSERT INTO users VALUES (4, 'four', NULL)""");
        await h.ExecuteAsync("UPDATE ablypg.changes SET captured_at = captured_at - interval '3 hours'");
        Assert.DoesNotContain(h.Logs.Entries, e => e.EventId == 1112);

        var options = h.Options(AblyPgTables.User);
        options.StaleStoreWarningAfter = TimeSpan.FromHours(2);
        await h.StartConnectorAsync(options);

        var warning = Assert.Single(h.Logs.Entries, e => e.EventId == 1112);
        Assert.Matches(
            "The capture store \"ablypg\".\"changes\" has not been drained for 3 h: 2 row\\(s\\) of changes wait, the oldest captured at .+, " +
            "and every write to a mapped table adds to it. Keep a connector running for capture schema ablypg, or remove capture with `ablypg uninstall`",
            warning.Text);
        await h.WaitForMessagesAsync(4);
    }

    [Fact]
    public async Task A_pg_hba_rejection_is_told_apart_from_a_wrong_password()
    {
        if (postgres.Server is not LocalPostgresCluster cluster)
        {
            return; // pg_hba.conf of a server this run does not own is not ours to edit
        }

        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        var role = "hba_rejected_" + Guid.NewGuid().ToString("N")[..8];
        await h.ExecuteAsync($"CREATE ROLE \"{role}\" LOGIN PASSWORD 'right-pa55'");
        var hba = Path.Combine(cluster.DataDirectory, "pg_hba.conf");
        var original = await File.ReadAllTextAsync(hba);
        await File.WriteAllTextAsync(hba, $"host all {role} 127.0.0.1/32 reject\n" + original);
        try
        {
            await h.ExecuteAsync("SELECT pg_reload_conf()");
            var asRole = new NpgsqlConnectionStringBuilder(h.ConnectionString) { Username = role, Password = "right-pa55" };
            await Eventually(async () =>
            {
                try
                {
                    await using var probe = new NpgsqlConnection(asRole.ConnectionString);
                    await probe.OpenAsync();
                    return false;
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidAuthorizationSpecification)
                {
                    return true;
                }
            });

            var rejected = h.Options(AblyPgTables.User);
            rejected.ConnectionString = asRole.ConnectionString;
            await using var connector = new Connector(rejected);
            var error = await Assert.ThrowsAsync<ConnectorStartException>(() => connector.StartAsync());

            Assert.StartsWith(
                $"PostgreSQL at {asRole.Host}:{asRole.Port}/{asRole.Database} does not let user '{role}' connect from this host: its pg_hba.conf has no entry that admits " +
                "this host, user and database, or one that rejects them. The password was not checked.",
                error.Message,
                StringComparison.Ordinal);
            Assert.Contains($"The server said: pg_hba.conf rejects connection for host \"127.0.0.1\", user \"{role}\"", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("right-pa55", error.ToString(), StringComparison.Ordinal);

            var wrongPassword = h.Options(AblyPgTables.User);
            wrongPassword.ConnectionString = new NpgsqlConnectionStringBuilder(h.ConnectionString) { Password = "not-the-pa55word" }.ConnectionString;
            await using var other = new Connector(wrongPassword);
            var refused = await Assert.ThrowsAsync<ConnectorStartException>(() => other.StartAsync());
            Assert.EndsWith("': wrong user name or password.", refused.Message, StringComparison.Ordinal);
        }
        finally
        {
            await File.WriteAllTextAsync(hba, original);
            await h.ExecuteAsync("SELECT pg_reload_conf()");
        }
    }
}
