using System.Text;
using Npgsql;

namespace AblyPgTyped.Cli.DeadLetters;

/// <summary>
/// Why a change was dead-lettered, told apart by how its reason starts. The reasons are written by the drain
/// (<c>ChangeDecoder</c> and <c>PublishScheduler</c>); the patterns below follow their wording, and the CLI's tests
/// produce each through a running connector, so a reworded reason shows up as <see cref="Other"/> there. The names are
/// the values of the reason tag on the dead-letter metric of issue 12 (<c>DeadLetterCause</c>, branch i12m), so the two agree.
/// </summary>
internal static class DeadLetterKinds
{
    /// <summary>The capture trigger recorded a note instead of the row (too large to capture, or a column it could not read).</summary>
    public const string NotCaptured = "not_captured";

    /// <summary>The captured row does not fit the mapping (a value its property cannot hold, JSON too deep…).</summary>
    public const string MappingMismatch = "mapping_mismatch";

    /// <summary>The store row as a whole could not be split into changes; its letter holds the whole row.</summary>
    public const string UnreadableRow = "unreadable_row";

    /// <summary>The table was no longer mapped when its change was read.</summary>
    public const string UnmappedTable = "unmapped_table";

    /// <summary>A channel placeholder resolved to a name Ably does not accept.</summary>
    public const string InvalidChannel = "invalid_channel";

    /// <summary>The message was larger than the connector's maximum message size.</summary>
    public const string TooLarge = "too_large";

    /// <summary>Ably refused the message for good (a 4xx such as 40160 capability denied).</summary>
    public const string Rejected = "rejected";

    /// <summary>A reason none of the above matches.</summary>
    public const string Other = "other";

    /// <summary>Each kind with the LIKE pattern of its reasons (none holds <c>_</c> or a backslash), most specific first.</summary>
    private static readonly (string Kind, string Pattern)[] Patterns =
    [
        (NotCaptured, "not captured: %"),
        (MappingMismatch, "the captured row does not fit the mapping: %"),
        (UnreadableRow, "the captured row (% is not a readable JSON array%"),
        (UnmappedTable, "no mapping for this table is configured any more%"),
        (InvalidChannel, "the resolved channel % is not valid: %"),
        (TooLarge, "the message is % bytes; the maximum message size is %"),
        (Rejected, "Ably rejected the message: %"),
    ];

    /// <summary>In words, for the text output.</summary>
    public static string Describe(string kind) => kind switch
    {
        NotCaptured => "not captured",
        MappingMismatch => "does not fit the mapping",
        UnreadableRow => "unreadable store row",
        UnmappedTable => "table not mapped",
        InvalidChannel => "invalid channel",
        TooLarge => "message too large",
        Rejected => "refused by Ably",
        _ => "other",
    };

    /// <summary>
    /// An SQL expression giving the kind of <paramref name="reasonColumn"/>, with its patterns added to
    /// <paramref name="command"/> as parameters (numbered from its current count).
    /// </summary>
    public static string SqlCase(string reasonColumn, NpgsqlCommand command)
    {
        var sql = new StringBuilder("CASE");
        foreach (var (kind, pattern) in Patterns)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = pattern });
            var like = command.Parameters.Count;
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = kind });
            sql.Append(" WHEN ").Append(reasonColumn).Append(" LIKE $").Append(like).Append(" THEN $").Append(like + 1);
        }

        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Other });
        return sql.Append(" ELSE $").Append(command.Parameters.Count).Append(" END").ToString();
    }

    /// <summary>The name of an operation as a store row records it ('I', 'U', 'D', 'S').</summary>
    public static string OperationName(char op) => op switch
    {
        'I' => "insert",
        'U' => "update",
        'D' => "delete",
        'S' => "snapshot",
        _ => op.ToString(),
    };
}
