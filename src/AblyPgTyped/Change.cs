using System;

namespace AblyPgTyped;

/// <summary>One captured row change of a mapped table.</summary>
/// <typeparam name="T">The mapped row type.</typeparam>
/// <param name="Kind">Insert, update or delete.</param>
/// <param name="Schema">The table's schema.</param>
/// <param name="Table">The table's name.</param>
/// <param name="Position">The change's durable position: commit-visibility order, unique per database.</param>
/// <param name="CapturedAt">When the trigger captured the change, inside its transaction (just before commit).</param>
/// <param name="New">The new row, for inserts and updates.</param>
/// <param name="Old">The old row, for updates and deletes.</param>
public sealed record Change<T>(ChangeKind Kind, string Schema, string Table, ChangePosition Position, DateTimeOffset CapturedAt, T? New, T? Old)
{
    /// <summary>
    /// True for the <see cref="ChangeKind.Delete"/> that the channel a row left hears when an update moves the row to
    /// another per-row channel (<c>orders:{CustomerId}</c>, and the order changes customer). The row still exists:
    /// <see cref="Old"/> is its value before the update, and the update itself is published on the new channel with the
    /// same <see cref="Position"/>. A subscriber of that channel alone drops the row; one that hears both channels lets
    /// the update win.
    /// </summary>
    public bool Moved { get; init; }

    /// <summary>The row as it is after the change, or before it for a delete.</summary>
    public T Row => (Kind == ChangeKind.Delete ? Old : New) ?? throw new InvalidOperationException($"The {Kind} change at {Position} carries no row.");
}

/// <summary>
/// Where a change sits in the capture store: the store row (one statement's chunk of changes) and the index within it.
/// Its text form, <c>captureId.index</c>, is carried in every message.
/// </summary>
/// <param name="CaptureId">The capture store row.</param>
/// <param name="Index">The change's index within that row.</param>
public readonly record struct ChangePosition(long CaptureId, int Index) : IComparable<ChangePosition>
{
    /// <inheritdoc />
    public int CompareTo(ChangePosition other) => CaptureId != other.CaptureId ? CaptureId.CompareTo(other.CaptureId) : Index.CompareTo(other.Index);

    /// <inheritdoc />
    public override string ToString() => $"{CaptureId}.{Index}";

    /// <summary>Parses the text form, <c>captureId.index</c>.</summary>
    public static ChangePosition Parse(string text)
    {
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        return dot > 0
               && long.TryParse(text.AsSpan(0, dot), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id)
               && int.TryParse(text.AsSpan(dot + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index)
            ? new ChangePosition(id, index)
            : throw new FormatException($"'{text}' is not a change position (captureId.index).");
    }
}
