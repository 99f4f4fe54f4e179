using System;
using AblyPgTyped.Publishing;

namespace AblyPgTyped.Config;

/// <summary>
/// Where a setting of the original's configuration comes from (a file, or the process environment), and how its
/// errors are worded: <c>{where}: {field} {problem}</c>. No message ever contains a password or an API key secret.
/// </summary>
internal sealed class ConfigSource
{
    private ConfigSource(string where, string? fullPath)
    {
        Where = where;
        FullPath = fullPath;
    }

    /// <summary>The process environment (no configuration path given).</summary>
    public static ConfigSource Environment { get; } = new("Environment", null);

    /// <summary>How messages name the source: <c>Config file '/abs/path'</c> or <c>Environment</c>.</summary>
    public string Where { get; }

    /// <summary>The absolute path of the file, or null for the environment.</summary>
    public string? FullPath { get; }

    public static ConfigSource File(string fullPath) => new("Config file '" + fullPath + "'", fullPath);

    /// <summary>An error about one field: <c>{where}: {field} {problem}</c>.</summary>
    public AblyConfigurationException Error(string field, string problem) => new(Where + ": " + field + " " + problem);

    /// <summary>An error about one field, with the error that caused it.</summary>
    public AblyConfigurationException Error(string field, string problem, Exception inner) => new(Where + ": " + field + " " + problem, inner);

    /// <summary>An error about the source as a whole: <c>{where} {problem}</c>.</summary>
    public AblyConfigurationException SourceError(string problem, Exception? inner = null) =>
        inner is null ? new(Where + " " + problem) : new(Where + " " + problem, inner);
}
