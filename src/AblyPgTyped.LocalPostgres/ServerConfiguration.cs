using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace AblyPgTyped.LocalPostgres;

/// <summary>Validates options and writes server settings into postgresql.conf.</summary>
internal static class ServerConfiguration
{
    // Managed by the cluster itself: the connection string depends on them.
    private static readonly string[] ManagedSettings = { "port", "listen_addresses", "unix_socket_directories" };

    public static Dictionary<string, string> MergeSettings(IDictionary<string, string>? userSettings)
    {
        Dictionary<string, string> settings = new(StringComparer.OrdinalIgnoreCase)
        {
            ["max_connections"] = "100",

            // The project streams row changes via logical decoding; harmless for everything else.
            ["wal_level"] = "logical",
            ["max_wal_senders"] = "10",
            ["max_replication_slots"] = "10",
        };

        foreach (var setting in userSettings ?? new Dictionary<string, string>())
        {
            if (!IsValidName(setting.Key))
            {
                throw new ArgumentException($"'{setting.Key}' is not a valid PostgreSQL setting name.", nameof(userSettings));
            }

            if (ManagedSettings.Contains(setting.Key, StringComparer.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"Setting '{setting.Key}' is managed by LocalPostgresCluster (use LocalPostgresOptions.Port for the port).", nameof(userSettings));
            }

            if (setting.Value is null || setting.Value.IndexOfAny(new[] { '\n', '\r', '\0' }) >= 0)
            {
                throw new ArgumentException($"The value of setting '{setting.Key}' must be a single line.", nameof(userSettings));
            }

            settings[setting.Key] = setting.Value;
        }

        return settings;
    }

    public static void Validate(LocalPostgresOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Port, "Port must be 0 (pick a free port) or 1..65535.");
        }

        if (string.IsNullOrEmpty(options.Username) || options.Username.Contains('\0', StringComparison.Ordinal) || Encoding.UTF8.GetByteCount(options.Username) > 63)
        {
            throw new ArgumentException("Username must be 1..63 bytes without NUL characters.", nameof(options));
        }

        if (options.Password is not null && (options.Password.Length == 0 || options.Password.IndexOfAny(new[] { '\n', '\r', '\0' }) >= 0))
        {
            throw new ArgumentException("Password must be non-empty and a single line.", nameof(options));
        }

        if (options.StartTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.StartTimeout, "StartTimeout must be positive.");
        }
    }

    /// <summary>Appends settings; later lines win over initdb's, and ALTER SYSTEM still wins over both.</summary>
    public static void Append(string dataDirectory, string socketDirectory, IReadOnlyDictionary<string, string> settings)
    {
        StringBuilder text = new();
        text.AppendLine().AppendLine("# Added by AblyPgTyped.LocalPostgres");
        AppendLine(text, "listen_addresses", "127.0.0.1");
        AppendLine(text, "unix_socket_directories", socketDirectory);
        foreach (var setting in settings)
        {
            AppendLine(text, setting.Key, setting.Value);
        }

        // Appending keeps the file's owner (the server's OS user) even when we run as root.
        File.AppendAllText(Path.Combine(dataDirectory, "postgresql.conf"), text.ToString());
    }

    private static void AppendLine(StringBuilder text, string name, string value)
    {
        // Quoted values are accepted for every setting type; the config lexer unescapes backslashes.
        var quoted = value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal);
        text.Append(name).Append(" = '").Append(quoted).Append('\'').AppendLine();
    }

    private static bool IsValidName(string name) =>
        name.Length > 0
        && (char.IsAsciiLetter(name[0]) || name[0] == '_')
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.');
}
