using System;
using System.Globalization;
using System.Threading.Tasks;

namespace AblyPgTyped.Cli;

/// <summary>
/// <c>ablypg backfill</c>: records a backfill for the running connector to do, then follows it until every row is
/// published; <c>--status</c> prints the backfills recorded.
/// </summary>
internal static class BackfillCommand
{
    private static readonly TimeSpan ReportEvery = TimeSpan.FromSeconds(2);

    public static async Task<int> RunAsync(CommandLine commandLine)
    {
        await using var connector = OriginalConnector.Create(commandLine.ConfigPath);
        if (commandLine.Cancel is { } id)
        {
            BackfillStatus cancelled;
            try
            {
                cancelled = await connector.CancelBackfillAsync(id);
            }
            catch (InvalidOperationException e)
            {
                Console.Error.WriteLine("ablypg: error: " + e.Message);
                return ExitCodes.BadConfiguration;
            }

            Console.Out.WriteLine(Describe(cancelled));
            Console.Out.WriteLine(cancelled.State == "cancelled"
                ? $"ablypg: backfill {id} cancelled: no more rows are recorded; the {cancelled.RowsDone} recorded are published as usual."
                : $"ablypg: backfill {id} was no longer running ({cancelled.State}); nothing to cancel.");
            return ExitCodes.Success;
        }

        if (commandLine.Status)
        {
            var backfills = await connector.GetBackfillsAsync();
            if (backfills.Count == 0)
            {
                Console.Out.WriteLine("ablypg: no backfills recorded.");
            }

            foreach (var backfill in backfills)
            {
                Console.Out.WriteLine(Describe(backfill));
            }

            return ExitCodes.Success;
        }

        var status = await connector.BackfillAsync(
            commandLine.Table!, new BackfillOptions { Where = commandLine.Where, Channel = commandLine.Channel });
        Console.Out.WriteLine($"ablypg: backfill {status.Id} of {status.Schema}.{status.Table} recorded: about {status.RowsEstimate} row(s). " +
                              "The active connector (ablypg run) records and publishes them.");
        if (commandLine.NoWait)
        {
            return ExitCodes.Success;
        }

        var lastReport = DateTime.MinValue;
        long lastDone = -1;
        var final = await connector.WaitForBackfillAsync(status.Id, published: true, new SynchronousProgress(s =>
        {
            if (s.IsRunning && s.RowsDone != lastDone && DateTime.UtcNow - lastReport >= ReportEvery)
            {
                lastReport = DateTime.UtcNow;
                lastDone = s.RowsDone;
                Console.Out.WriteLine(Describe(s));
            }
        }));
        Console.Out.WriteLine(Describe(final));
        if (final.State != "done")
        {
            Console.Error.WriteLine($"ablypg: error: backfill {final.Id} {final.State}" + (final.Error is null ? "" : ": " + final.Error));
            return ExitCodes.Failure;
        }

        Console.Out.WriteLine($"ablypg: backfill {final.Id} done: {final.RowsDone} row(s) published.");
        return ExitCodes.Success;
    }

    private static string Describe(BackfillStatus s) =>
        string.Create(CultureInfo.InvariantCulture,
            $"backfill {s.Id} {s.Schema}.{s.Table}: {s.State}, {s.RowsDone}{(s.IsRunning ? $" of about {s.RowsEstimate}" : "")} row(s), updated {s.UpdatedAt:u}") +
        (s.Error is null ? "" : ": " + s.Error);

    private sealed class SynchronousProgress(Action<BackfillStatus> report) : IProgress<BackfillStatus>
    {
        public void Report(BackfillStatus value) => report(value);
    }
}
