using System;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Config;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Xunit;
using Xunit.Abstractions;

namespace AblyPgTyped.Tests.Cli;

/// <summary>The <c>ablypg</c> command as a user runs it, with the original's config files.</summary>
[Collection(PostgresCollection.Name)]
public sealed class CliTests(PostgresFixture postgres, ITestOutputHelper output)
{
    private const string InsertTrigger = "CREATE TRIGGER \"ablypg_capture_insert\" AFTER INSERT ON \"public\".\"users\"";

    [Fact]
    public async Task Run_delivers_changes_and_stops_cleanly_on_sigterm()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, ConfigFileTests.UsersTable);
        using var folder = new ConfigFolder();
        var path = folder.WriteJsonExample("config/default.json", ConfigTarget.Of(h));

        using var cli = CliProcess.Start("run", path);
        await cli.WaitForOutputAsync("Started from " + path, TimeSpan.FromSeconds(30));
        await h.ExecuteAsync("INSERT INTO users VALUES (1, 'Ada')");
        var message = Assert.Single(await h.WaitForMessagesAsync(1));
        Assert.Equal(("ably-users-added", "insert"), (message.Channel, message.Name));

        await cli.TerminateAsync();

        var exitCode = await cli.WaitForExitAsync(TimeSpan.FromSeconds(30));
        output.WriteLine(cli.Output);
        Assert.Equal(0, exitCode);
        Assert.Contains("Stopped.", cli.Output, StringComparison.Ordinal);
        Assert.Equal("", cli.Error);
    }

    [Fact]
    public async Task Sql_prints_the_ddl_that_a_dba_can_apply_by_hand()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, ConfigFileTests.UsersTable);
        using var folder = new ConfigFolder();
        var path = folder.WriteEnvExample("config/.env", ConfigTarget.Of(h));

        using var cli = await CliProcess.RunAsync("sql", path);

        Assert.Equal(0, cli.ExitCode);
        Assert.Equal("", cli.Error);
        Assert.StartsWith("-- AblyPgTyped capture for schema \"ablypg\".", cli.Output, StringComparison.Ordinal);
        Assert.Contains("\nBEGIN;\n", cli.Output, StringComparison.Ordinal);
        Assert.EndsWith("COMMIT;\n", cli.Output, StringComparison.Ordinal);
        Assert.Contains("CREATE SCHEMA IF NOT EXISTS \"ablypg\";", cli.Output, StringComparison.Ordinal);
        Assert.Contains(InsertTrigger, cli.Output, StringComparison.Ordinal);
        await h.ExecuteAsync(cli.Output);
        Assert.Equal(1L, await h.ScalarAsync<long>("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'users'::regclass AND tgname = 'ablypg_capture_insert'"));
    }

    [Fact]
    public async Task Uninstall_removes_everything_the_connector_installed()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, ConfigFileTests.UsersTable);
        using var folder = new ConfigFolder();
        var path = folder.WriteJsonExample("all-operations/default.json", ConfigTarget.Of(h));
        await using (var connector = new Connector(path))
        {
            await connector.StartAsync();
        }

        Assert.Equal(3L, await h.ScalarAsync<long>("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'users'::regclass"));

        using var cli = await CliProcess.RunAsync("uninstall", path);

        Assert.Equal(0, cli.ExitCode);
        Assert.Equal("", cli.Error);
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'users'::regclass"));
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM pg_namespace WHERE nspname = 'ablypg'"));
        await h.ExecuteAsync("INSERT INTO users VALUES (1, 'still writable')");
    }

    [Fact]
    public async Task A_bad_config_exits_2_with_one_line_on_stderr()
    {
        using var folder = new ConfigFolder();
        var path = folder.Write("config/default.json", BadInputTests.Json(connector: """[{"tablename": "users", "ablychannelname": "c", "operation": "UPSERT"}]"""));

        using var run = await CliProcess.RunAsync("run", path);
        using var sql = await CliProcess.RunAsync("sql", path);
        using var missing = await CliProcess.RunAsync("uninstall", path + ".missing");

        var expected = $"ablypg: error: Config file '{path}': connector[0].operation \"UPSERT\" is not an operation: use INSERT, UPDATE or DELETE\n";
        Assert.Equal((2, "", expected), (run.ExitCode, run.Output, run.Error));
        Assert.Equal((2, "", expected), (sql.ExitCode, sql.Output, sql.Error));
        Assert.Equal((2, $"ablypg: error: Config file '{path}.missing' does not exist\n"), (missing.ExitCode, missing.Error));
    }

    [Fact]
    public async Task An_unreachable_database_exits_1_with_one_line_on_stderr()
    {
        using var folder = new ConfigFolder();
        var target = new ConfigTarget("127.0.0.1", 1, "postgres", "pa55-secret", "mydb", ConnectorHarness.ApiKey, 9);
        var path = folder.WriteJsonExample("config/default.json", target);

        using var run = await CliProcess.RunAsync("run", path);
        using var uninstall = await CliProcess.RunAsync("uninstall", path);

        Assert.Equal(1, run.ExitCode);
        Assert.Matches("^ablypg: error: Cannot reach PostgreSQL at 127.0.0.1:1/mydb: [^\n]+\n$", run.Error);
        Assert.Equal(1, uninstall.ExitCode);
        Assert.Matches("^ablypg: error: PostgreSQL: [^\n]*127.0.0.1:1[^\n]*\n$", uninstall.Error);
        Assert.DoesNotContain("pa55-secret", run.Output + run.Error + uninstall.Output + uninstall.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_usage_errors_and_the_environment()
    {
        using var help = await CliProcess.RunAsync("--help");
        using var unknown = await CliProcess.RunAsync("start");
        using var extra = await CliProcess.RunAsync("sql", "a.json", "b.json");
        using var environment = await CliProcess.RunAsync("sql");

        Assert.Equal(0, help.ExitCode);
        Assert.Contains("ablypg run [CONFIG]", help.Output, StringComparison.Ordinal);
        Assert.Equal((2, "ablypg: error: unknown command 'start' (run 'ablypg --help' for usage)\n"), (unknown.ExitCode, unknown.Error));
        Assert.Equal((2, "ablypg: error: sql takes one CONFIG path; 'b.json' is one too many (run 'ablypg --help' for usage)\n"), (extra.ExitCode, extra.Error));
        Assert.Equal(2, environment.ExitCode);
        Assert.StartsWith("ablypg: error: Environment holds no configuration: set DB_HOST", environment.Error, StringComparison.Ordinal);
    }
}
