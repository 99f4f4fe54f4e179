using System;
using System.Threading.Tasks;

namespace AblyPgTyped.Cli.Status;

/// <summary><c>ablypg status [--json]</c>: what the person on call needs to know about one capture schema, read-only.</summary>
internal static class StatusCommand
{
    public static async Task<int> RunAsync(CommandLine commandLine)
    {
        var settings = CliDatabase.Settings(commandLine.ConfigPath);
        await using var connection = await CliDatabase.OpenAsync(settings);
        var status = await new StatusReader(connection, settings.CaptureSchema).ReadAsync();
        Console.Out.Write(commandLine.Json ? StatusJson.Write(status) + "\n" : StatusText.Write(status));
        return ExitCodes.Success;
    }
}
