using System.Threading.Tasks;
using AblyPgTyped.LocalPostgres;
using Npgsql;
using Xunit;

namespace AblyPgTyped.Tests.Shared;

/// <summary>One real PostgreSQL server for the test run: a throwaway cluster, or the one ABLYPG_TEST_CONNECTION_STRING names.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private IPostgresServer? _server;

    public IPostgresServer Server => _server!;

    public async Task InitializeAsync() => _server = await LocalPostgresCluster.FromEnvironmentOrStartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>A fresh database, open.</summary>
    public async Task<NpgsqlConnection> OpenFreshDatabaseAsync()
    {
        var connection = new NpgsqlConnection(await Server.CreateDatabaseAsync());
        await connection.OpenAsync();
        return connection;
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
