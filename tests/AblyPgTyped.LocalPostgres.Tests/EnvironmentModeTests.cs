using System;
using System.Threading.Tasks;
using Npgsql;
using Xunit;

namespace AblyPgTyped.LocalPostgres.Tests;

/// <summary>All tests touching ABLYPG_TEST_CONNECTION_STRING live in this class, so xunit runs them one at a time.</summary>
public sealed class EnvironmentModeTests
{
    private const string Variable = LocalPostgresCluster.ConnectionStringEnvironmentVariable;

    [Fact]
    public async Task Uses_existing_server_from_environment_without_owning_it()
    {
        await using var owner = await LocalPostgresCluster.StartAsync(cancellationToken: Sql.Timeout());
        string created;

        using (new EnvironmentScope(Variable, owner.ConnectionString))
        {
            var server = await LocalPostgresCluster.FromEnvironmentOrStartAsync(cancellationToken: Sql.Timeout());
            await using (server)
            {
                Assert.IsType<ExternalPostgresServer>(server);
                Assert.False(server.OwnsServer);
                Assert.Equal(owner.ConnectionString, server.ConnectionString);
                Assert.Equal(owner.ServerVersion, server.ServerVersion);

                created = await server.CreateDatabaseAsync("env_mode_db");
                await Sql.ExecuteAsync(created, "CREATE TABLE x (id int)"); // Pooled connection stays open; dispose must still drop.
                Assert.Equal(1L, await Sql.ScalarAsync(owner.ConnectionString, "SELECT count(*) FROM pg_database WHERE datname = 'env_mode_db'"));
            }
        }

        Assert.True(owner.IsRunning);
        Assert.Equal(0L, await Sql.ScalarAsync(owner.ConnectionString, "SELECT count(*) FROM pg_database WHERE datname = 'env_mode_db'"));
    }

    [Fact]
    public async Task Starts_a_local_cluster_when_environment_is_unset()
    {
        using (new EnvironmentScope(Variable, null))
        {
            var server = await LocalPostgresCluster.FromEnvironmentOrStartAsync(cancellationToken: Sql.Timeout());
            await using (server)
            {
                var cluster = Assert.IsType<LocalPostgresCluster>(server);
                Assert.True(server.OwnsServer);
                Assert.Equal(1, await Sql.ScalarAsync(await server.CreateDatabaseAsync(), "SELECT 1"));
                Assert.True(cluster.IsRunning);
            }
        }
    }

    [Fact]
    public async Task Unreachable_environment_server_fails_clearly_without_password()
    {
        await using var owner = await LocalPostgresCluster.StartAsync(cancellationToken: Sql.Timeout());
        var wrong = new NpgsqlConnectionStringBuilder(owner.ConnectionString) { Password = "WrongPassw0rdValue" }.ConnectionString;

        using (new EnvironmentScope(Variable, wrong))
        {
            var ex = await Assert.ThrowsAsync<LocalPostgresException>(() => LocalPostgresCluster.FromEnvironmentOrStartAsync(cancellationToken: Sql.Timeout()));
            Assert.Contains("password authentication failed", ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("WrongPassw0rdValue", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Bin_directory_environment_variable_is_honoured()
    {
        var found = PostgresBinaries.Locate(null).BinDirectory;
        using (new EnvironmentScope(LocalPostgresCluster.BinDirectoryEnvironmentVariable, found + "/"))
        {
            Assert.Equal(found + "/", PostgresBinaries.Locate(null).BinDirectory);
        }
    }

    private sealed class EnvironmentScope : IDisposable
    {
        private readonly string name;
        private readonly string? previous;

        public EnvironmentScope(string name, string? value)
        {
            this.name = name;
            previous = Environment.GetEnvironmentVariable(name);
            Environment.SetEnvironmentVariable(name, value);
        }

        public void Dispose() => Environment.SetEnvironmentVariable(name, previous);
    }
}
