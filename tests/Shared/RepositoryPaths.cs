using System;
using System.IO;

namespace AblyPgTyped.Tests.Shared;

/// <summary>Where things are in the repository, seen from a test's binaries.</summary>
internal static class RepositoryPaths
{
    /// <summary>The folder holding AblyPgTyped.sln, found by walking up from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>A path inside the repository.</summary>
    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>
    /// The built assembly of another project of the repository, in the configuration and framework this test runs in
    /// (the test's output is <c>bin/&lt;Configuration&gt;/&lt;framework&gt;</c>; so is theirs).
    /// </summary>
    public static string BuiltProgram(string projectFolder, string assemblyName)
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var path = Combine(projectFolder, "bin", output.Parent!.Name, output.Name, assemblyName + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{assemblyName} was not built: {path}");
    }

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
