using System;
using System.Threading.Tasks;
using AblyPgTyped.Capture;
using AblyPgTyped.Capture.Logical;

namespace AblyPgTyped.Cli;

/// <summary>
/// <c>ablypg uninstall</c>: removes what the connector installed, and nothing else (see <c>CaptureInstaller.UninstallAsync</c>).
/// It needs the database and the capture schema only, so it works with a configuration whose tables or key are gone.
/// </summary>
internal static class UninstallCommand
{
    public static async Task<int> RunAsync(string? configPath)
    {
        var settings = CliDatabase.Settings(configPath);
        await using var connection = await CliDatabase.OpenAsync(settings);
        // As Connector.UninstallAsync: logical replication's slot and publications first (none exist in trigger mode), then the store.
        await LogicalCaptureInstaller.UninstallAsync(connection, settings.CaptureSchema, default);
        var kept = await CaptureInstaller.UninstallAsync(connection, settings.CaptureSchema, default);
        Console.Out.WriteLine("ablypg: uninstalled: the capture triggers, their functions and the capture store are gone.");
        if (kept.Count > 0)
        {
            Console.Error.WriteLine(
                $"ablypg: warning: schema {CaptureSql.QuoteIdentifier(settings.CaptureSchema)} was kept: it holds objects the connector did not create " +
                $"({CaptureInstaller.List(kept, 10)}).");
        }

        return ExitCodes.Success;
    }
}
