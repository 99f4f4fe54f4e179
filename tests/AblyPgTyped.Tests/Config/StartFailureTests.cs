using System.Threading.Tasks;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Xunit;

namespace AblyPgTyped.Tests.Config;

/// <summary>A config file whose dbConfig or connector list does not fit the database: StartAsync says what to fix.</summary>
[Collection(PostgresCollection.Name)]
public sealed class StartFailureTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Wrong_password_names_the_server_and_user_but_not_the_password()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, ConfigFileTests.UsersTable);
        var target = ConfigTarget.Of(h) with { Password = "wrong-pa55word" };

        var error = await StartAsync(target, "config/default.json");

        Assert.Equal($"PostgreSQL at {target.Host}:{target.Port}/{target.Database} refused user '{target.User}': wrong user name or password.", error.Message);
        Assert.DoesNotContain("wrong-pa55word", error.ToString(), System.StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreachable_database_names_host_and_port()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, ConfigFileTests.UsersTable);
        var target = ConfigTarget.Of(h) with { Host = "127.0.0.1", Port = 1 };

        var error = await StartAsync(target, "config/.env");

        Assert.StartsWith($"Cannot reach PostgreSQL at 127.0.0.1:1/{target.Database}: ", error.Message, System.StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_database_is_named()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, ConfigFileTests.UsersTable);
        var target = ConfigTarget.Of(h) with { Database = "no_such_db" };

        var error = await StartAsync(target, "config/default.json");

        Assert.Equal($"Database 'no_such_db' does not exist on {target.Host}:{target.Port}.", error.Message);
    }

    [Fact]
    public async Task Missing_table_is_named_and_nothing_is_installed()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres);

        var error = await StartAsync(ConfigTarget.Of(h), "all-operations/.env");

        Assert.Equal("Capture was not installed: table \"public\".\"users\" (mapped by the connector configuration) does not exist.", error.Message);
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM pg_namespace WHERE nspname = 'ablypg'"));
    }

    private static async Task<ConnectorStartException> StartAsync(ConfigTarget target, string example)
    {
        using var folder = new ConfigFolder();
        var path = example.EndsWith(".env", System.StringComparison.Ordinal) ? folder.WriteEnvExample(example, target) : folder.WriteJsonExample(example, target);
        await using var connector = new Connector(path);
        return await Assert.ThrowsAsync<ConnectorStartException>(() => connector.StartAsync());
    }
}
