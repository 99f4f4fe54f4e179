namespace AblyPgTyped;

/// <summary>The kind of row change. On the wire it is the lower-case name: <c>insert</c>, <c>update</c>, <c>delete</c>, <c>snapshot</c>.</summary>
public enum ChangeKind
{
    /// <summary>A row was inserted.</summary>
    Insert = 1,

    /// <summary>A row was updated; both the old and the new row are known.</summary>
    Update = 2,

    /// <summary>A row was deleted; the old row is known.</summary>
    Delete = 3,

    /// <summary>
    /// A row as it existed when a backfill read it (see <c>Connector.BackfillAsync</c>); the row is known. Consumers apply
    /// it like an insert that may replace a row they hold: a snapshot always precedes, in position order, every change
    /// committed after the value it carries.
    /// </summary>
    Snapshot = 4,
}
