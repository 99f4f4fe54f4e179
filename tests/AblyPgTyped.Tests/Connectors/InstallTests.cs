using System;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Npgsql;
using Xunit;

namespace AblyPgTyped.Tests.Connectors;

/// <summary>Installing, reconciling and removing capture; clear errors for a database that does not fit.</summary>
[Collection(PostgresCollection.Name)]
public sealed class InstallTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_mapping_removed_from_the_configuration_has_its_trigger_dropped()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users, Schemas.Audit);
        var both = await h.StartConnectorAsync(h.Options(AblyPgTables.User, AblyPgTables.Audit));
        Assert.Equal(2L, await h.ScalarAsync<long>("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'audit'::regclass"));
        Assert.Equal(2L, await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.mappings WHERE table_name = 'audit'"));
        await both.StopAsync();

        await h.StartConnectorAsync(h.Options(AblyPgTables.User));

        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'audit'::regclass"));
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.mappings WHERE table_name = 'audit'"));
        Assert.Equal(3L, await h.ScalarAsync<long>("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'users'::regclass"));
        await h.ExecuteAsync("""INSERT INTO audit VALUES (1, 'not captured any more')""");
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.changes"));
    }

    [Fact]
    public async Task The_store_compresses_its_json_with_lz4_and_a_store_installed_with_pglz_is_moved_to_it()
    {
        // Writers compress their statement's JSON inside their own statement; pglz costs them about seven times lz4.
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        const string Compression = "SELECT attcompression::text FROM pg_attribute WHERE attrelid = 'ablypg.changes'::regclass AND attname = 'data'";
        var connector = await h.StartConnectorAsync(h.Options(AblyPgTables.User));
        Assert.Equal("l", await h.ScalarAsync<string>(Compression));
        await connector.StopAsync();

        // A store installed by an earlier version: default compression, and another DDL digest.
        await h.ExecuteAsync("ALTER TABLE ablypg.changes ALTER COLUMN data SET COMPRESSION default; UPDATE ablypg.state SET value = 'earlier' WHERE key = 'store_ddl_digest'");
        await h.StartConnectorAsync(h.Options(AblyPgTables.User));

        Assert.Equal("l", await h.ScalarAsync<string>(Compression));
        await h.ExecuteAsync("""INSERT INTO users SELECT g, 'user ' || g, NULL FROM generate_series(1, 100) g""");
        Assert.Equal(100, (await h.WaitForMessagesAsync(100)).Count);
    }

    [Fact]
    public async Task Uninstall_removes_every_trigger_function_and_table_it_installed()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users, Schemas.OrderLines);
        var connector = await h.StartConnectorAsync(h.Options(AblyPgTables.User, AblyPgTables.OrderLine));
        await connector.StopAsync();

        await connector.UninstallAsync();

        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal"));
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM pg_namespace WHERE nspname = 'ablypg'"));
        await h.ExecuteAsync("""INSERT INTO users VALUES (1, 'still works', NULL)""");
    }

    [Fact]
    public async Task A_column_the_table_lacks_stops_the_start_with_a_message_naming_it()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, """CREATE TABLE users ("Id" int PRIMARY KEY, "Name" text)""");
        await using var connector = new Connector(h.Options(AblyPgTables.User));

        var error = await Assert.ThrowsAsync<ConnectorStartException>(() => connector.StartAsync());

        Assert.Equal("Capture was not installed: table \"public\".\"users\" has no column \"Bio\" (mapped by AblyPgTyped.Tests.User.Bio).", error.Message);
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM pg_namespace WHERE nspname = 'ablypg'"));
    }

    [Fact]
    public async Task A_column_named_by_another_convention_is_suggested_at_start()
    {
        // The README's record against the original's lower-case table.
        await using var h = await ConnectorHarness.StartAsync(postgres, """CREATE TABLE users (id int PRIMARY KEY, name text, bio text)""");
        await using var connector = new Connector(h.Options(AblyPgTables.User));

        var error = await Assert.ThrowsAsync<ConnectorStartException>(() => connector.StartAsync());

        Assert.Contains(
            "table \"public\".\"users\" has no column \"Id\" (mapped by AblyPgTyped.Tests.User.Id); the table has \"id\", the snake_case name of Id: set ColumnNaming = ColumnNaming.SnakeCase",
            error.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_table_stops_the_start_with_a_message_naming_it()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres);
        await using var connector = new Connector(h.Options(AblyPgTables.Audit));

        var error = await Assert.ThrowsAsync<ConnectorStartException>(() => connector.StartAsync());

        Assert.Equal("Capture was not installed: table \"public\".\"audit\" (mapped by AblyPgTyped.Tests.Audit) does not exist.", error.Message);
    }

    [Fact]
    public async Task A_wrong_password_is_reported_without_the_password()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        var options = h.Options(AblyPgTables.User);
        options.ConnectionString = new NpgsqlConnectionStringBuilder(h.ConnectionString) { Password = "not-the-password-42" }.ConnectionString;
        await using var connector = new Connector(options);

        var error = await Assert.ThrowsAsync<ConnectorStartException>(() => connector.StartAsync());

        Assert.Matches("^PostgreSQL at .+ refused user '.+': wrong user name or password\\.$", error.Message);
        Assert.DoesNotContain("not-the-password-42", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_database_is_reported_clearly()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres);
        var options = h.Options(AblyPgTables.User);
        options.ConnectionString = "Host=127.0.0.1;Port=1;Username=u;Password=p;Database=d;Timeout=3";
        await using var connector = new Connector(options);

        var error = await Assert.ThrowsAsync<ConnectorStartException>(() => connector.StartAsync());

        Assert.StartsWith("Cannot reach PostgreSQL at 127.0.0.1:1/d: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_install_sql_for_review_holds_the_store_and_every_trigger()
    {
        var options = new ConnectorOptions { ConnectionString = "Host=x", CaptureSchema = "cdc", Ably = { ApiKey = "a.b:c" } };
        options.Tables.Add(AblyPgTables.User);

        var sql = new AblyPgTyped.Connector(options).GetInstallSql();

        Assert.Contains("CREATE TABLE IF NOT EXISTS \"cdc\".\"changes\"", sql, StringComparison.Ordinal);
        Assert.Contains("CREATE TRIGGER \"cdc_capture_insert\" AFTER INSERT ON \"public\".\"users\"", sql, StringComparison.Ordinal);
        Assert.Contains("CREATE TRIGGER \"cdc_capture_update\" AFTER UPDATE ON \"public\".\"users\"", sql, StringComparison.Ordinal);
        Assert.DoesNotContain("pg_notify('ablypg_wakeup", sql.Replace(AblyPgTyped.Capture.CaptureSql.WakeupChannel("cdc"), "", StringComparison.Ordinal), StringComparison.Ordinal);
    }
}
