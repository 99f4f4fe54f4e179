using System;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;

namespace AblyPgTyped.LocalPostgres;

/// <summary>SQL helpers shared by local and external servers.</summary>
internal static class PostgresAdmin
{
    public static string WithDatabase(string connectionString, string database) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Database = database }.ConnectionString;

    /// <summary>Admin connections bypass the pool so they never linger in the caller's pools.</summary>
    public static string Unpooled(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;

    public static string NewDatabaseName() =>
        "ablypg_" + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 12);

    public static string QuoteIdentifier(string identifier)
    {
        if (string.IsNullOrEmpty(identifier) || identifier.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("A database name must be non-empty and contain no NUL characters.", nameof(identifier));
        }

        if (Encoding.UTF8.GetByteCount(identifier) > 63)
        {
            throw new ArgumentException($"Database name '{identifier}' exceeds PostgreSQL's 63-byte identifier limit.", nameof(identifier));
        }

        return "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    public static async Task ExecuteAsync(string connectionString, string sql, CancellationToken cancellationToken)
    {
        NpgsqlConnection connection = new(Unpooled(connectionString));
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            NpgsqlCommand command = new(sql, connection);
            await using (command.ConfigureAwait(false))
            {
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public static async Task<Version> GetServerVersionAsync(string connectionString, CancellationToken cancellationToken)
    {
        NpgsqlConnection connection = new(Unpooled(connectionString));
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connection.PostgreSqlVersion;
        }
    }

    /// <summary>Empties the Npgsql pool for a connection string whose server is going away.</summary>
    public static void ClearPool(string connectionString)
    {
        using NpgsqlConnection connection = new(connectionString);
        NpgsqlConnection.ClearPool(connection);
    }

    /// <summary>Connection strings print without the password (Npgsql's default), but be explicit in messages.</summary>
    public static string Redact(string connectionString)
    {
        NpgsqlConnectionStringBuilder builder = new(connectionString);
        if (!string.IsNullOrEmpty(builder.Password))
        {
            builder.Password = "***";
        }

        return builder.ConnectionString;
    }
}
