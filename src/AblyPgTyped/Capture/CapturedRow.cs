using System;

namespace AblyPgTyped.Capture;

/// <summary>One row of the capture store: up to <see cref="CaptureSql.ChunkSize"/> changes of one statement.</summary>
/// <param name="Id">The store row's id; with a change's index it forms the change's <see cref="ChangePosition"/>.</param>
/// <param name="Schema">The changed table's schema.</param>
/// <param name="Table">The changed table's name.</param>
/// <param name="Op">'I', 'U', 'D', or 'S' for a backfill's snapshot rows.</param>
/// <param name="Count">How many changes <see cref="Data"/> holds.</param>
/// <param name="CapturedAt">When the trigger ran, inside the writing transaction.</param>
/// <param name="Data">A JSON array: rows for inserts and deletes, <c>[old, new]</c> pairs for updates.</param>
internal sealed record CapturedRow(long Id, string Schema, string Table, char Op, int Count, DateTimeOffset CapturedAt, byte[] Data)
{
    /// <summary>
    /// The position of the row's first change, when it is not <c>(Id, 0)</c>: a logical-replication row is a chunk of a
    /// transaction, whose changes are at <c>(commit LSN, index in the transaction)</c>.
    /// </summary>
    public ChangePosition? FirstPosition { get; init; }

    /// <summary>The durable position of the row's change number <paramref name="index"/>.</summary>
    public ChangePosition PositionOf(int index) =>
        FirstPosition is { } first ? new ChangePosition(first.CaptureId, first.Index + index) : new ChangePosition(Id, index);

    public ChangeKind Kind => Op switch
    {
        'I' => ChangeKind.Insert,
        'U' => ChangeKind.Update,
        'D' => ChangeKind.Delete,
        'S' => ChangeKind.Snapshot,
        _ => throw new InvalidOperationException($"Capture row {Id} has unknown operation '{Op}'."),
    };
}

/// <summary>A change that cannot be published, with the reason (and its kind, <c>Cause</c>, for the metrics); recorded in the dead-letter table.</summary>
internal sealed record DeadLetter(ChangePosition Position, string Schema, string Table, char Op, string? Channel, string Reason, string? Data, DeadLetterCause Cause = DeadLetterCause.Other);
