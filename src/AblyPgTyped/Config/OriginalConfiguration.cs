using System;
using System.Collections.Generic;
using System.IO;

namespace AblyPgTyped.Config;

/// <summary>
/// Reads the Node.js original's configuration into <see cref="ConnectorOptions"/> with one untyped mapping per table:
/// its JSON file (<c>config/default.json</c>), its .env file (<c>config/.env</c>), or, with no path, the process environment.
/// </summary>
internal static class OriginalConfiguration
{
    /// <summary>
    /// A path whose file name is <c>.env</c>, ends in <c>.env</c> or starts with <c>.env.</c> is a .env file; any other
    /// path is JSON. Null or empty reads the process environment.
    /// </summary>
    /// <exception cref="Publishing.AblyConfigurationException">The file is missing or malformed; the message names the file (or the environment), the field and the problem.</exception>
    public static ConnectorOptions Load(string? path) => Load(path, ConfigParts.All);

    /// <summary>
    /// Reads only the <paramref name="parts"/> a command uses; the others may be missing and are not checked. Options read
    /// with fewer than <see cref="ConfigParts.All"/> are not validated as a connector's: they serve the command alone.
    /// </summary>
    /// <exception cref="Publishing.AblyConfigurationException">A part that is used is missing or malformed.</exception>
    public static ConnectorOptions Load(string? path, ConfigParts parts)
    {
        if (string.IsNullOrEmpty(path))
        {
            return LoadEnvironment(parts);
        }

        var (source, text) = ReadFile(path);
        var name = Path.GetFileName(source.FullPath!);
        if (IsEnvFileName(name))
        {
            var values = DotEnvFile.Parse(text, source);
            return OriginalEnvConfig.Read(key => values.GetValueOrDefault(key), source, parts).ToOptions(source, parts);
        }

        return OriginalJsonConfig.Read(text, source, namedJson: name.EndsWith(".json", StringComparison.OrdinalIgnoreCase), parts).ToOptions(source, parts);
    }

    /// <summary>The original's <c>.env</c> names, read from the process environment.</summary>
    public static ConnectorOptions LoadEnvironment(ConfigParts parts = ConfigParts.All)
    {
        var environment = ConfigSource.Environment;
        return OriginalEnvConfig.Read(Environment.GetEnvironmentVariable, environment, parts).ToOptions(environment, parts);
    }

    public static bool IsEnvFileName(string fileName) =>
        fileName.EndsWith(".env", StringComparison.OrdinalIgnoreCase) || fileName.StartsWith(".env.", StringComparison.OrdinalIgnoreCase);

    private static (ConfigSource Source, string Text) ReadFile(string path)
    {
        string fullPath;
        try
        {
            fullPath = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new Publishing.AblyConfigurationException("Config file '" + path + "' is not a valid path: " + e.Message, e);
        }

        var source = ConfigSource.File(fullPath);
        if (Directory.Exists(fullPath))
        {
            throw source.SourceError("is a folder: give the path of the JSON file (config/default.json) or of the .env file (config/.env)");
        }

        if (!File.Exists(fullPath))
        {
            throw source.SourceError(
                "does not exist" + (Path.IsPathRooted(path) ? "" : " (the path '" + path + "' is relative to the working folder " + Environment.CurrentDirectory + ")"));
        }

        try
        {
            return (source, File.ReadAllText(fullPath));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw source.SourceError("cannot be read: " + e.Message, e);
        }
    }
}
