using System;
using System.Collections.Generic;

namespace AblyPgTyped;

/// <summary>Where a backfill stands, as recorded in the capture schema's <c>backfills</c> table.</summary>
/// <param name="Id">The backfill's id.</param>
/// <param name="Schema">The table's schema.</param>
/// <param name="Table">The table's name.</param>
/// <param name="State"><c>running</c>, <c>done</c>, <c>failed</c> or <c>cancelled</c>.</param>
/// <param name="RowsDone">Rows recorded as snapshots so far.</param>
/// <param name="RowsEstimate">The planner's estimate, when the backfill was requested, of the rows it publishes.</param>
/// <param name="Cursor">The primary key of the last row recorded (as text, one value per key column); null before the first chunk.</param>
/// <param name="LastChange">The store row of the last chunk recorded: once the store holds no row up to it, everything recorded is published.</param>
/// <param name="Error">Why a failed backfill stopped.</param>
/// <param name="CreatedAt">When it was requested.</param>
/// <param name="UpdatedAt">When its last chunk was recorded.</param>
/// <param name="FinishedAt">When it finished or failed.</param>
public sealed record BackfillStatus(
    long Id, string Schema, string Table, string State, long RowsDone, long RowsEstimate, IReadOnlyList<string>? Cursor,
    long? LastChange, string? Error, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? FinishedAt)
{
    /// <summary>Whether it is still recording rows.</summary>
    public bool IsRunning => State == "running";

    /// <inheritdoc />
    public override string ToString() =>
        $"backfill {Id} of {Schema}.{Table}: {State}, {RowsDone} of about {RowsEstimate} row(s)" + (Error is null ? "" : ": " + Error);
}
