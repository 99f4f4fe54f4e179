using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AblyPgTyped.LocalPostgres;

/// <summary>
/// An existing PostgreSQL server reached through a connection string (typically
/// <see cref="LocalPostgresCluster.ConnectionStringEnvironmentVariable"/>). It is not owned: disposing
/// only drops the databases created through <see cref="CreateDatabaseAsync"/>.
/// </summary>
public sealed class ExternalPostgresServer : IPostgresServer
{
    private readonly List<string> createdDatabases = new();
    private readonly ILogger logger;
    private bool disposed;

    private ExternalPostgresServer(string connectionString, Version serverVersion, ILogger logger)
    {
        ConnectionString = connectionString;
        ServerVersion = serverVersion;
        this.logger = logger;
    }

    /// <inheritdoc />
    public string ConnectionString { get; }

    /// <inheritdoc />
    public Version ServerVersion { get; }

    /// <inheritdoc />
    public bool OwnsServer => false;

    /// <summary>Connects once to validate <paramref name="connectionString"/> and read the server version.</summary>
    /// <exception cref="LocalPostgresException">The server cannot be reached or rejects the credentials.</exception>
    public static async Task<ExternalPostgresServer> ConnectAsync(string connectionString, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        Version version;
        try
        {
            version = await PostgresAdmin.GetServerVersionAsync(connectionString, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or ArgumentException or InvalidOperationException)
        {
            throw new LocalPostgresException(
                $"Could not connect to the existing PostgreSQL server ({PostgresAdmin.Redact(connectionString)}): {ex.Message}", ex);
        }

        return new ExternalPostgresServer(connectionString, version, logger ?? NullLogger.Instance);
    }

    /// <inheritdoc />
    public async Task<string> CreateDatabaseAsync(string? name = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        name ??= PostgresAdmin.NewDatabaseName();
        await PostgresAdmin.ExecuteAsync(ConnectionString, "CREATE DATABASE " + PostgresAdmin.QuoteIdentifier(name), cancellationToken).ConfigureAwait(false);
        lock (createdDatabases)
        {
            createdDatabases.Add(name);
        }

        return GetConnectionString(name);
    }

    /// <inheritdoc />
    public string GetConnectionString(string database) => PostgresAdmin.WithDatabase(ConnectionString, database);

    /// <summary>Drops the databases this instance created; the server keeps running.</summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        string[] names;
        lock (createdDatabases)
        {
            names = createdDatabases.ToArray();
            createdDatabases.Clear();
        }

        foreach (var name in names)
        {
            PostgresAdmin.ClearPool(GetConnectionString(name));

            // FORCE (PostgreSQL 13+) disconnects sessions the test left open.
            var force = ServerVersion.Major >= 13 ? " WITH (FORCE)" : string.Empty;
            try
            {
                await PostgresAdmin.ExecuteAsync(ConnectionString, "DROP DATABASE IF EXISTS " + PostgresAdmin.QuoteIdentifier(name) + force, CancellationToken.None)
                    .ConfigureAwait(false);
            }
            catch (NpgsqlException ex)
            {
                logger.LogWarning(ex, "Could not drop database {Database} on the external server", name);
            }
        }
    }
}
