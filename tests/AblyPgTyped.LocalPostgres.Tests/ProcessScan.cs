using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace AblyPgTyped.LocalPostgres.Tests;

/// <summary>Finds live processes whose command line mentions a path (Linux /proc).</summary>
internal static class ProcessScan
{
    public static IReadOnlyList<string> ProcessesMentioning(string text)
    {
        List<string> found = new();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var commandLine = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (commandLine.Contains(text, StringComparison.Ordinal) && PostmasterProcess.IsAlive(pid))
                {
                    found.Add($"{pid}: {commandLine}");
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return found.Where(p => !p.Contains("ablypg-watchdog", StringComparison.Ordinal)).ToList();
    }
}
