namespace AblyPgTyped.Capture;

/// <summary>Why a change was dead-lettered, in a few kinds: the metric's <c>ablypg.dead_letter.reason</c>.</summary>
internal enum DeadLetterCause
{
    /// <summary>None of the kinds below.</summary>
    Other,

    /// <summary>The captured row is not a readable JSON array.</summary>
    UnreadableRow,

    /// <summary>No mapping of the table is configured any more.</summary>
    UnmappedTable,

    /// <summary>The trigger recorded a note instead of the row (a dropped column, a row too large to capture).</summary>
    NotCaptured,

    /// <summary>The captured row does not fit the mapping.</summary>
    MappingMismatch,

    /// <summary>The resolved channel name is not valid.</summary>
    InvalidChannel,

    /// <summary>The message is larger than the plan's maximum message size.</summary>
    TooLarge,

    /// <summary>Ably rejected the message.</summary>
    Rejected,
}

/// <summary>The tag values of <see cref="DeadLetterCause"/>.</summary>
internal static class DeadLetterCauses
{
    public static string TagValue(this DeadLetterCause cause) => cause switch
    {
        DeadLetterCause.UnreadableRow => "unreadable_row",
        DeadLetterCause.UnmappedTable => "unmapped_table",
        DeadLetterCause.NotCaptured => "not_captured",
        DeadLetterCause.MappingMismatch => "mapping_mismatch",
        DeadLetterCause.InvalidChannel => "invalid_channel",
        DeadLetterCause.TooLarge => "too_large",
        DeadLetterCause.Rejected => "rejected",
        _ => "other",
    };
}
