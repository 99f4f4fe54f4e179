using System;
using System.Globalization;
using System.Text;
using AblyPgTyped.Capture;
using AblyPgTyped.Publishing;

namespace AblyPgTyped.Config;

/// <summary>The checks that the JSON file, the .env file and the environment share. Each names the field it checks.</summary>
internal static class ConfigRules
{
    public const string DefaultDatabaseHost = "localhost";

    public const int DefaultDatabasePort = 5432;

    /// <summary>A TCP port, from text (an environment variable, or a JSON string).</summary>
    public static int Port(ConfigSource source, string field, string text)
    {
        var trimmed = text.Trim();
        if (int.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535)
        {
            return port;
        }

        throw source.Error(field, "\"" + text + "\" is not a port number: use a whole number from 1 to 65535");
    }

    /// <summary><c>true</c>, <c>false</c>, <c>1</c> or <c>0</c> (any case, surrounding spaces ignored).</summary>
    public static bool Boolean(ConfigSource source, string field, string text)
    {
        switch (text.Trim().ToUpperInvariant())
        {
            case "TRUE" or "1":
                return true;
            case "FALSE" or "0":
                return false;
            default:
                throw source.Error(field, "\"" + text + "\" is not a boolean: use true, false, 1 or 0");
        }
    }

    /// <summary>The full Ably API key. The problem text never repeats the key.</summary>
    public static string ApiKey(ConfigSource source, string field, string? value)
    {
        if (!AblyApiKey.TryParse(value, out _, out var problem))
        {
            throw source.Error(field, problem!);
        }

        return value!;
    }

    /// <summary>A REST host name or IP address, without scheme, port or path.</summary>
    public static string RestHost(ConfigSource source, string field, string value)
    {
        var problem = AblyOptions.CheckHost(value);
        return problem is null ? value : throw source.Error(field, "\"" + value + "\" " + problem);
    }

    /// <summary>A PostgreSQL host name, IP address or Unix socket folder.</summary>
    public static string DatabaseHost(ConfigSource source, string field, string value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw source.Error(field, "is empty: give the PostgreSQL server's host name, or leave it out for " + DefaultDatabaseHost);
        }

        foreach (var c in value)
        {
            if (char.IsControl(c))
            {
                throw source.Error(field, "is not a host name: it contains a control character");
            }
        }

        return value;
    }

    /// <summary>The capture schema: a PostgreSQL identifier (it is quoted by the capture SQL).</summary>
    public static string CaptureSchema(ConfigSource source, string field, string value)
    {
        var problem = IdentifierProblem(value);
        if (problem is not null)
        {
            throw source.Error(field, problem + ": give the schema that holds the connector's tables (default " + CaptureSql.DefaultSchema + ")");
        }

        return CaptureSchemaRules.Problem(value) is { } reserved
            ? throw source.Error(field, "\"" + value + "\" is not allowed: " + reserved + "; " + CaptureSchemaRules.Advice)
            : value;
    }

    /// <summary>Why <paramref name="value"/> cannot be a PostgreSQL identifier, or null.</summary>
    public static string? IdentifierProblem(string value)
    {
        if (value.Length == 0 || string.IsNullOrWhiteSpace(value))
        {
            return "is empty";
        }

        if (value.Contains('\0', StringComparison.Ordinal))
        {
            return "\"" + value.Replace("\0", "\\0", StringComparison.Ordinal) + "\" contains a NUL character";
        }

        if (Encoding.UTF8.GetByteCount(value) > CaptureSql.MaxIdentifierBytes)
        {
            return "\"" + value + "\" is longer than PostgreSQL's " + CaptureSql.MaxIdentifierBytes.ToString(CultureInfo.InvariantCulture) + "-byte limit for names";
        }

        if (value.Trim().Length != value.Length)
        {
            return "\"" + value + "\" starts or ends with a space";
        }

        return null;
    }

    /// <summary>
    /// The Ably port and TLS switch, as ably-js reads them: <c>port</c> is the plain-HTTP port (used with <c>tls: false</c>)
    /// and <c>tlsPort</c> the HTTPS one. Plain HTTP is used only when TLS is turned off explicitly.
    /// </summary>
    public static (int? Port, bool Tls) AblyEndpoint(
        ConfigSource source, (int? Value, string Field) port, (int? Value, string Field) tlsPort, (bool? Value, string Field) tls)
    {
        var useTls = tls.Value ?? true;
        if (useTls && port.Value is not null && tlsPort.Value is null)
        {
            throw source.Error(
                port.Field,
                "is the plain-HTTP port (as in ably-js) but TLS is on: set " + tls.Field + " to false to use plain HTTP, or give the HTTPS port in " + tlsPort.Field);
        }

        if (!useTls && tlsPort.Value is not null && port.Value is null)
        {
            throw source.Error(
                tlsPort.Field,
                "is the HTTPS port (as in ably-js) but TLS is off (" + tls.Field + " is false): give the plain-HTTP port in " + port.Field);
        }

        return (useTls ? tlsPort.Value : port.Value, useTls);
    }
}
