using System;
using System.Threading;
using System.Threading.Tasks;

namespace AblyPgTyped.LocalPostgres;

/// <summary>
/// A PostgreSQL server that tests, the quickstart and benchmarks can use: either a throwaway
/// <see cref="LocalPostgresCluster"/> owned by this process, or an existing server named by
/// <see cref="LocalPostgresCluster.ConnectionStringEnvironmentVariable"/> (<see cref="ExternalPostgresServer"/>).
/// </summary>
/// <remarks>
/// Disposing stops and deletes an owned cluster; for a server that is not owned it only drops the
/// databases created through <see cref="CreateDatabaseAsync"/>.
/// </remarks>
public interface IPostgresServer : IAsyncDisposable
{
    /// <summary>Npgsql connection string for the maintenance database (usually <c>postgres</c>), as a superuser or the configured user.</summary>
    string ConnectionString { get; }

    /// <summary>Version reported by the server.</summary>
    Version ServerVersion { get; }

    /// <summary><see langword="true"/> when this process started the server and will destroy it on dispose.</summary>
    bool OwnsServer { get; }

    /// <summary>
    /// Creates a fresh, empty database and returns a connection string for it.
    /// </summary>
    /// <param name="name">Database name; a unique name is generated when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Npgsql connection string whose <c>Database</c> is the new database.</returns>
    Task<string> CreateDatabaseAsync(string? name = null, CancellationToken cancellationToken = default);

    /// <summary>Returns <see cref="ConnectionString"/> with its database replaced by <paramref name="database"/>.</summary>
    string GetConnectionString(string database);
}
