using System;
using System.Linq;
using static AblyPgTyped.Cli.HumanUnits;

namespace AblyPgTyped.Cli.DeadLetters;

/// <summary>What <c>ablypg dead-letters replay</c> says it did: where the changes went, what will happen to them, and why any stayed.</summary>
internal static class ReplayReport
{
    private const string NotCapturedPrefix = "not captured: ";

    public static void Write(ReplayOutcome outcome, string captureSchema)
    {
        var count = outcome.Replayed.Count;
        if (count == 0)
        {
            Console.Out.WriteLine("ablypg: replayed no dead letters.");
        }
        else if (outcome.InPlace)
        {
            Console.Out.WriteLine(
                $"ablypg: replayed {Count(count)} dead letter(s) into the store of {captureSchema}, each at its original position (no connector was active). " +
                "The next connector to start publishes them in their place: after the changes captured before them, before every later change still waiting, " +
                "with their original positions and message ids.");
        }
        else
        {
            Console.Out.WriteLine(
                $"ablypg: replayed {Count(count)} dead letter(s) as new changes (store rows {outcome.FirstNewRow}-{outcome.LastNewRow}), in their original order. " +
                $"The active connector (backend {outcome.Connector.Pid}) publishes them after every change captured before now, with new positions: " +
                "a row that changed since its dead letter receives the replayed, older change last (see docs/operations.md).");
        }

        foreach (var letter in outcome.Replayed.Where(l => l.Kind == DeadLetterKinds.TooLarge))
        {
            Console.Error.WriteLine(
                $"ablypg: warning: {letter.Describe()} was too large to publish ({letter.Reason}): it is dead-lettered again, with that reason, " +
                "unless the connector now allows larger messages (ConnectorOptions.Ably.MaxMessageSize, or Ably.Plan = Pro).");
        }

        foreach (var letter in outcome.Left)
        {
            var note = letter.Reason.StartsWith(NotCapturedPrefix, StringComparison.Ordinal) ? letter.Reason[NotCapturedPrefix.Length..] : letter.Reason;
            Console.Error.WriteLine(
                $"ablypg: error: {letter.Describe()} was not replayed: capture never recorded the row, only why ({note}), so a replay could only " +
                $"dead-letter it again. Publish the row's current state with `ablypg backfill {letter.Table} --where …`, then remove the letter with " +
                $"`ablypg dead-letters purge --id {letter.Id}`.");
        }

        foreach (var letter in outcome.Conflicts)
        {
            Console.Error.WriteLine(
                $"ablypg: error: {letter.Describe()} was not replayed: its position in the store holds a change still waiting to be published, " +
                $"which this letter duplicates. Leave it, or remove it with `ablypg dead-letters purge --id {letter.Id}`.");
        }
    }
}
