using System;
using System.IO;

namespace AblyPgTyped.Generators.Tests.Infrastructure;

internal static class RepositoryPaths
{
    /// <summary>The folder holding AblyPgTyped.sln, found by walking up from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AblyPgTyped.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"AblyPgTyped.sln not found above {AppContext.BaseDirectory}.");
    }
}
