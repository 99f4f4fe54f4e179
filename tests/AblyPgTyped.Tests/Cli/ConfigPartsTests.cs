using System;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Config;
using Xunit;

namespace AblyPgTyped.Tests.Cli;

/// <summary>Each command reads only the parts of the original's configuration it uses: none of these needs a key or a database.</summary>
public sealed class ConfigPartsTests
{
    private const string Connector = """[{"tablename": "users", "ablychannelname": "ably-users-added", "operation": "INSERT"}]""";

    [Fact]
    public async Task Sql_needs_only_the_tables_and_grants_only_the_capture_schema()
    {
        using var folder = new ConfigFolder();
        var tablesOnly = folder.Write("tables/default.json", "{\"connector\": " + Connector + "}");
        var envTablesOnly = folder.Write("tables/.env", "ABLY_CONNECTOR='" + Connector + "'\nABLYPG_CAPTURE_SCHEMA=cdc\n");
        var schemaOnly = folder.Write("schema/default.json", """{"dbConfig": {"database": "shop"}, "captureSchema": "cdc"}""");

        using var sql = await CliProcess.RunAsync("sql", tablesOnly);
        using var envSql = await CliProcess.RunAsync("sql", envTablesOnly);
        using var uninstallSql = await CliProcess.RunAsync("sql", "--uninstall", schemaOnly);
        using var grants = await CliProcess.RunAsync("grants", "--role", "app_connector", schemaOnly);

        Assert.Equal((0, ""), (sql.ExitCode, sql.Error));
        Assert.Contains("CREATE TRIGGER \"ablypg_capture_insert\" AFTER INSERT ON \"public\".\"users\"", sql.Output, StringComparison.Ordinal);
        Assert.Equal((0, ""), (envSql.ExitCode, envSql.Error));
        Assert.Contains("CREATE SCHEMA IF NOT EXISTS \"cdc\";", envSql.Output, StringComparison.Ordinal);
        Assert.Equal((0, ""), (uninstallSql.ExitCode, uninstallSql.Error));
        Assert.Contains("\"cdc\"", uninstallSql.Output, StringComparison.Ordinal);
        Assert.Equal((0, ""), (grants.ExitCode, grants.Error));
        Assert.Contains("GRANT CONNECT ON DATABASE \"shop\" TO \"app_connector\";\n", grants.Output, StringComparison.Ordinal);
        Assert.Contains("GRANT USAGE ON SCHEMA \"cdc\" TO \"app_connector\";\n", grants.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_part_a_command_uses_is_still_required_and_checked()
    {
        using var folder = new ConfigFolder();
        var tablesOnly = folder.Write("tables/default.json", "{\"connector\": " + Connector + "}");
        var noTables = folder.Write("db/default.json", """{"dbConfig": {"user": "u", "database": "shop", "port": "x"}}""");

        using var status = await CliProcess.RunAsync("status", tablesOnly);
        using var deadLetters = await CliProcess.RunAsync("dead-letters", "list", noTables);
        using var sql = await CliProcess.RunAsync("sql", noTables);

        Assert.Equal(2, status.ExitCode);
        Assert.Equal($"ablypg: error: Config file '{tablesOnly}': dbConfig is missing: the PostgreSQL connection, {{\"host\", \"port\", \"user\", \"password\", \"database\"}}\n", status.Error);
        Assert.Equal((2, $"ablypg: error: Config file '{noTables}': dbConfig.port \"x\" is not a port number: use a whole number from 1 to 65535\n"), (deadLetters.ExitCode, deadLetters.Error));
        Assert.Equal(2, sql.ExitCode);
        Assert.StartsWith($"ablypg: error: Config file '{noTables}': connector is missing", sql.Error, StringComparison.Ordinal);
    }
}
