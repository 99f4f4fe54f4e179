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
