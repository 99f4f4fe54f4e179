using System;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.Publishing;
using AblyPgTyped.Tests.Cli;
using AblyPgTyped.Tests.Config;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Xunit;

namespace AblyPgTyped.Tests.Connectors;

/// <summary>The capture schema is the connector's alone: reserved and foreign-held schemas are refused, and uninstall drops only what it installed.</summary>
[Collection(PostgresCollection.Name)]
public sealed class CaptureSchemaTests(PostgresFixture postgres)
{
    [Theory]
    [InlineData("public", "it is the database's default schema")]
    [InlineData("Public", "it is the database's default schema")]
    [InlineData("pg_catalog", "it is reserved for PostgreSQL's own objects")]
    [InlineData("information_schema", "it is reserved for PostgreSQL's own objects")]
    [InlineData("pg_toast", "it is reserved for PostgreSQL's own objects")]
    [InlineData("pg_temp_3", "it is reserved for PostgreSQL's own objects")]
    public void A_reserved_schema_is_refused_by_the_options(string schema, string reason)
    {
        var options = new ConnectorOptions { ConnectionString = "Host=x", CaptureSchema = schema, Ably = { ApiKey = "a.b:c" } };
        options.Tables.Add(AblyPgTables.User);

        var error = Assert.Throws<AblyConfigurationException>(() => new Connector(options));

        Assert.StartsWith($"CaptureSchema \"{schema}\" is not allowed: {reason}", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("the capture schema must be a schema of the connector's own (default ablypg).", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Public_is_refused_in_a_config_file_and_in_a_dotenv_file()
    {
        var target = new ConfigTarget("127.0.0.1", 5432, "u", "p", "db", ConnectorHarness.ApiKey, 9);
        using var folder = new ConfigFolder();
        var json = folder.WriteJsonExample("config/default.json", target, root => root["captureSchema"] = "public");
        var env = folder.WriteEnvExample("config/.env", target, "ABLYPG_CAPTURE_SCHEMA=public");

        var fromJson = Assert.Throws<AblyConfigurationException>(() => new Connector(json));
        var fromEnv = Assert.Throws<AblyConfigurationException>(() => new Connector(env));

        Assert.Equal(
            $"Config file '{json}': captureSchema \"public\" is not allowed: it is the database's default schema, which holds the application's own tables; " +
            "the capture schema must be a schema of the connector's own (default ablypg)",
            fromJson.Message);
        Assert.StartsWith($"Config file '{env}': ABLYPG_CAPTURE_SCHEMA \"public\" is not allowed: ", fromEnv.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cli_refuses_public_for_every_command_and_touches_nothing()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, ConfigFileTests.UsersTable);
        await h.ExecuteAsync("INSERT INTO users VALUES (1, 'kept')");
        using var folder = new ConfigFolder();
        var path = folder.WriteJsonExample("config/default.json", ConfigTarget.Of(h), root => root["captureSchema"] = "public");

        using var run = await CliProcess.RunAsync("run", path);
        using var uninstall = await CliProcess.RunAsync("uninstall", path);
        using var sql = await CliProcess.RunAsync("sql", "--uninstall", path);

        foreach (var cli in new[] { run, uninstall, sql })
        {
            Assert.Equal(2, cli.ExitCode);
            Assert.Equal("", cli.Output);
            Assert.StartsWith($"ablypg: error: Config file '{path}': captureSchema \"public\" is not allowed: ", cli.Error, StringComparison.Ordinal);
        }

        Assert.Equal(1L, await h.ScalarAsync<long>("SELECT count(*) FROM public.users"));
    }

    [Fact]
    public async Task A_schema_holding_a_user_table_is_refused_and_uninstall_leaves_it_intact()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users, """
            CREATE SCHEMA shop;
            CREATE TABLE shop.orders (id int PRIMARY KEY, total numeric);
            INSERT INTO shop.orders VALUES (1, 9.99);
            CREATE FUNCTION shop.order_total(int) RETURNS numeric LANGUAGE sql AS 'SELECT total FROM shop.orders WHERE id = $1';
            """);
        var options = h.Options(AblyPgTables.User);
        options.CaptureSchema = "shop";
        await using var connector = new Connector(options, h.Logs);

        var error = await Assert.ThrowsAsync<ConnectorStartException>(() => connector.StartAsync());
        await connector.UninstallAsync();

        Assert.Equal(
            "Capture schema \"shop\" holds objects the connector did not create: function \"shop\".\"order_total\"(integer), table \"shop\".\"orders\". " +
            "The capture schema must be the connector's own, since uninstalling removes it: set CaptureSchema (captureSchema in the config file) " +
            "to a schema that does not exist yet, such as ablypg.",
            error.Message);
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'users'::regclass"));
        Assert.Equal(9.99m, await h.ScalarAsync<decimal>("SELECT shop.order_total(1)"));
        Assert.Contains(h.Logs.Entries, e => e.EventId == 1114 && e.Text.Contains("schema \"shop\" was kept: it holds function \"shop\".\"order_total\"(integer), table \"shop\".\"orders\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Uninstall_removes_its_own_objects_but_keeps_the_schema_when_someone_else_put_a_table_in_it()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        var first = await h.StartConnectorAsync(h.Options(AblyPgTables.User));
        await first.StopAsync();
        await h.ExecuteAsync("CREATE TABLE ablypg.notes (id int); INSERT INTO ablypg.notes VALUES (42);");

        await using var second = new Connector(h.Options(AblyPgTables.User), h.Logs);
        var error = await Assert.ThrowsAsync<ConnectorStartException>(() => second.StartAsync());
        await second.UninstallAsync();

        Assert.StartsWith("Capture schema \"ablypg\" holds objects the connector did not create: table \"ablypg\".\"notes\".", error.Message, StringComparison.Ordinal);
        Assert.Equal(42, await h.ScalarAsync<int>("SELECT id FROM ablypg.notes"));
        Assert.Equal(["notes"], await StringsAsync(h, "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'ablypg'"));
        Assert.Empty(await StringsAsync(h, "SELECT p.proname::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'ablypg'"));
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal"));
        await h.ExecuteAsync("""INSERT INTO users VALUES (1, 'still writable', NULL)""");
    }

    [Fact]
    public async Task A_capture_schema_set_to_public_after_the_options_were_checked_is_still_refused()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        var options = h.Options(AblyPgTables.User);
        await using var connector = new Connector(options);
        options.CaptureSchema = "public";

        var start = await Assert.ThrowsAsync<ConnectorStartException>(() => connector.StartAsync());
        var uninstall = await Assert.ThrowsAsync<AblyPgTyped.Capture.CaptureInstallException>(() => connector.UninstallAsync());

        Assert.StartsWith("Capture schema \"public\" is not allowed: it is the database's default schema", start.Message, StringComparison.Ordinal);
        Assert.EndsWith("; nothing was removed.", uninstall.Message, StringComparison.Ordinal);
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM public.users"));
    }

    [Fact]
    public void The_uninstall_ddl_never_cascades()
    {
        var options = new ConnectorOptions { ConnectionString = "Host=x", Ably = { ApiKey = "a.b:c" } };
        options.Tables.Add(AblyPgTables.User);

        var sql = options.GetUninstallSql();

        Assert.DoesNotContain("CASCADE", sql, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("DROP SCHEMA \"ablypg\";", sql, StringComparison.Ordinal);
    }

    private static async Task<string[]> StringsAsync(ConnectorHarness h, string sql)
    {
        await using var command = h.Database.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new System.Collections.Generic.List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values.Order(StringComparer.Ordinal).ToArray();
    }
}
