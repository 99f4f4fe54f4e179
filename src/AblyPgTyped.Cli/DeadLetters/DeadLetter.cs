using System;
using System.Globalization;

namespace AblyPgTyped.Cli.DeadLetters;

/// <summary>One row of the capture schema's <c>dead_letters</c> table, with the kind of its reason.</summary>
/// <param name="Id">The letter's id.</param>
/// <param name="ChangeId">The store row the change was captured in: with <paramref name="ChangeIndex"/>, its position.</param>
/// <param name="ChangeIndex">The change's index in that row.</param>
/// <param name="Schema">The table's schema.</param>
/// <param name="Table">The table's name.</param>
/// <param name="Op">'I', 'U', 'D' or 'S', as the store records it.</param>
/// <param name="Channel">The channel it was resolved to, when it got that far.</param>
/// <param name="Reason">Why it was not published.</param>
/// <param name="Kind">The kind of <paramref name="Reason"/> (<see cref="DeadLetterKinds"/>).</param>
/// <param name="FailedAt">When it was dead-lettered.</param>
/// <param name="Data">The captured change as JSON (possibly shortened, in the text listing); null when none was recorded.</param>
/// <param name="DataBytes">The length of the whole captured JSON.</param>
internal sealed record DeadLetter(
    long Id, long ChangeId, int ChangeIndex, string Schema, string Table, char Op, string? Channel, string Reason, string Kind,
    DateTimeOffset FailedAt, string? Data, long DataBytes)
{
    public string Position => ChangeId.ToString(CultureInfo.InvariantCulture) + "." + ChangeIndex.ToString(CultureInfo.InvariantCulture);

    public string Operation => DeadLetterKinds.OperationName(Op);

    /// <summary>
    /// Whether a replay can publish it: not when capture recorded only a note in the row's place (the row was too large to
    /// capture, or a column could not be read), nor when no data was recorded.
    /// </summary>
    public bool Replayable => Data is not null && Kind != DeadLetterKinds.NotCaptured;

    /// <summary>How the listings and messages name it.</summary>
    public string Describe() =>
        "dead letter " + Id.ToString(CultureInfo.InvariantCulture) + " (" + Operation + " of " + Schema + "." + Table + " at position " + Position + ")";
}
