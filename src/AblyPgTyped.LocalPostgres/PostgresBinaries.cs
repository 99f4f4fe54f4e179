using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace AblyPgTyped.LocalPostgres;

/// <summary>Finds the directory holding initdb, pg_ctl and postgres.</summary>
internal sealed class PostgresBinaries
{
    internal const string InstallHint =
        "Install the PostgreSQL server with `apt-get install -y postgresql` (Debian/Ubuntu; it provides /usr/lib/postgresql/<major>/bin), "
        + "or set the environment variable " + LocalPostgresCluster.BinDirectoryEnvironmentVariable
        + " (or LocalPostgresOptions.BinDirectory) to the directory that contains initdb, pg_ctl and postgres.";

    private static readonly string[] RequiredTools = { "initdb", "pg_ctl", "postgres" };

    private PostgresBinaries(string binDirectory)
    {
        BinDirectory = binDirectory;
    }

    public string BinDirectory { get; }

    public string Initdb => Path.Combine(BinDirectory, "initdb");

    public string PgCtl => Path.Combine(BinDirectory, "pg_ctl");

    /// <summary>Resolves the binaries, throwing <see cref="LocalPostgresException"/> with install instructions if absent.</summary>
    public static PostgresBinaries Locate(string? explicitDirectory)
    {
        if (!string.IsNullOrWhiteSpace(explicitDirectory))
        {
            return FromExplicit(explicitDirectory, "LocalPostgresOptions.BinDirectory");
        }

        var fromEnvironment = Environment.GetEnvironmentVariable(LocalPostgresCluster.BinDirectoryEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return FromExplicit(fromEnvironment, LocalPostgresCluster.BinDirectoryEnvironmentVariable);
        }

        List<string> searched = new();
        const string debianRoot = "/usr/lib/postgresql";
        searched.Add(debianRoot + "/*/bin");
        if (Directory.Exists(debianRoot))
        {
            var candidates = Directory.GetDirectories(debianRoot)
                .Select(dir => (dir, major: ParseMajor(Path.GetFileName(dir))))
                .Where(x => x.major is not null)
                .OrderByDescending(x => x.major)
                .Select(x => Path.Combine(x.dir, "bin"));
            foreach (var candidate in candidates)
            {
                if (HasAllTools(candidate))
                {
                    return new PostgresBinaries(candidate);
                }
            }
        }

        searched.Add("PATH");
        var pathDirectories = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        foreach (var directory in pathDirectories)
        {
            if (HasAllTools(directory))
            {
                return new PostgresBinaries(Path.GetFullPath(directory));
            }
        }

        throw new LocalPostgresException(
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found; searched "
            + LocalPostgresCluster.BinDirectoryEnvironmentVariable + " (unset), " + string.Join(", ", searched) + ". "
            + InstallHint);
    }

    private static PostgresBinaries FromExplicit(string directory, string source)
    {
        var full = Path.GetFullPath(directory);
        var missing = RequiredTools.Where(tool => !File.Exists(Path.Combine(full, tool))).ToArray();
        if (missing.Length > 0)
        {
            throw new LocalPostgresException(
                $"{source} is '{directory}', but it lacks {string.Join(", ", missing)}. " + InstallHint);
        }

        return new PostgresBinaries(full);
    }

    private static bool HasAllTools(string directory) =>
        RequiredTools.All(tool => File.Exists(Path.Combine(directory, tool)));

    private static Version? ParseMajor(string name) =>
        Version.TryParse(name.Contains('.', StringComparison.Ordinal) ? name : name + ".0", out var version) ? version : null;
}
