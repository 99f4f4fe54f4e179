using System;
using System.ComponentModel;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Quickstart;

/// <summary>samples/LiveTable: the page <c>--watch</c> serves from the local endpoint, with ably-js from its node_modules.</summary>
internal static class LiveTablePage
{
    /// <summary>The sample's folder, found above the program or the current directory; null when this is not a checkout.</summary>
    public static string? FindFolder()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "samples", "LiveTable");
                if (File.Exists(Path.Combine(candidate, "index.html")))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>Runs <c>npm ci</c> in the folder if ably-js is not installed there yet; false (with the reason printed) if that fails.</summary>
    public static async Task<bool> EnsureAblyJsAsync(string folder, CancellationToken cancellationToken)
    {
        if (File.Exists(Path.Combine(folder, "node_modules", "ably", "build", "ably.min.js")))
        {
            return true;
        }

        Console.WriteLine($"  Installing ably-js for the live table page: npm ci in {folder}");
        try
        {
            var start = new ProcessStartInfo("npm") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { "ci", "--no-audit", "--no-fund" })
            {
                start.ArgumentList.Add(argument);
            }

            using var npm = Process.Start(start)!;
            var error = npm.StandardError.ReadToEndAsync(cancellationToken);
            await npm.StandardOutput.ReadToEndAsync(cancellationToken);
            await npm.WaitForExitAsync(cancellationToken);
            if (npm.ExitCode == 0)
            {
                return true;
            }

            Console.WriteLine($"  npm ci failed (exit {npm.ExitCode}): {(await error).Trim()}");
        }
        catch (Win32Exception)
        {
            Console.WriteLine("  npm is not installed (apt-get install -y nodejs npm), so the live table page has no ably-js.");
        }

        return false;
    }
}
