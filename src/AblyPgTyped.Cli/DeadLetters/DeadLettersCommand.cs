using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.Capture;

namespace AblyPgTyped.Cli.DeadLetters;

/// <summary><c>ablypg dead-letters list | replay | purge</c>: the changes the connector could not publish.</summary>
internal static class DeadLettersCommand
{
    public static async Task<int> RunAsync(CommandLine commandLine)
    {
        var settings = CliDatabase.Settings(commandLine.ConfigPath);
        await using var connection = await CliDatabase.OpenAsync(settings);
        if (!await CliDatabase.IsInstalledAsync(connection, settings.CaptureSchema))
        {
            Console.Error.WriteLine(
                $"ablypg: error: database {CaptureSql.QuoteIdentifier(connection.Database)} has no capture store in schema " +
                $"{CaptureSql.QuoteIdentifier(settings.CaptureSchema)}, so it has no dead letters: check the capture schema (captureSchema, ABLYPG_CAPTURE_SCHEMA).");
            return ExitCodes.Failure;
        }

        var selection = commandLine.Selection!;
        var store = new DeadLetterStore(connection, settings.CaptureSchema);
        switch (commandLine.Action)
        {
            case "list":
                var total = await store.CountAsync(selection);
                var letters = await store.ListAsync(selection, commandLine.Limit, commandLine.Json ? null : DeadLetterListing.TextDataCharacters);
                Console.Out.Write(commandLine.Json
                    ? DeadLetterListing.Json(settings.CaptureSchema, total, letters) + "\n"
                    : DeadLetterListing.Text(settings.CaptureSchema, total, letters));
                return ExitCodes.Success;
            case "purge":
                await selection.CheckTableAsync(connection, store.TableName, default);
                var purged = await store.PurgeAsync(selection);
                Console.Out.WriteLine($"ablypg: purged {purged.Count} dead letter(s)" + (purged.Count == 0 ? "." : ": " + Ids(purged) + "."));
                return ReportMissing(selection, purged.ToHashSet());
            default:
                if (await Status.ReplicationSlotProbe.FindAsync(connection, settings.CaptureSchema) is { } slot)
                {
                    // Logical replication decodes the slot and never reads the store, where a replay puts changes.
                    Console.Error.WriteLine(
                        $"ablypg: error: capture schema {CaptureSql.QuoteIdentifier(settings.CaptureSchema)} uses logical replication (slot {slot.Name}), " +
                        "which does not read the capture store that a replay puts changes into: nothing was replayed. List and purge work; " +
                        "to publish a row again, change it (or publish its current state some other way).");
                    return ExitCodes.Failure;
                }

                var outcome = await new DeadLetterReplay(connection, settings.CaptureSchema).RunAsync(selection);
                ReplayReport.Write(outcome, CaptureSql.QuoteIdentifier(settings.CaptureSchema));
                var missing = ReportMissing(selection, outcome.Seen);
                return outcome.Left.Count + outcome.Conflicts.Count > 0 ? ExitCodes.Failure : missing;
        }
    }

    /// <summary>Ids asked for by <c>--id</c> that matched no letter are an error: nothing was done for them.</summary>
    private static int ReportMissing(DeadLetterSelection selection, ISet<long> found)
    {
        var missing = selection.Ids?.Where(id => !found.Contains(id)).Distinct().ToList() ?? [];
        if (missing.Count == 0)
        {
            return ExitCodes.Success;
        }

        Console.Error.WriteLine("ablypg: error: no dead letter " + Ids(missing) + (selection.Table is null ? "" : " of table " + selection.Table) + ".");
        return ExitCodes.Failure;
    }

    /// <summary>The ids, the first 20 of them when there are more.</summary>
    public static string Ids(IReadOnlyCollection<long> ids) =>
        string.Join(", ", ids.Take(20).Select(id => id.ToString(CultureInfo.InvariantCulture))) + (ids.Count > 20 ? $" and {ids.Count - 20} more" : "");
}
