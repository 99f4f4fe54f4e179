namespace AblyPgTyped;

/// <summary>
/// What PostgreSQL writes to the write-ahead log about a row's previous version, and so what <c>old</c> carries in
/// <see cref="CaptureMode.LogicalReplication"/> mode (trigger capture always has the whole old row).
/// </summary>
public enum ReplicaIdentity
{
    /// <summary>
    /// The table's own replica identity (its primary key, by default). A delete's <c>old</c> carries the key columns
    /// (the other properties keep their default values); an update has no <c>old</c>, unless it changed the key, when
    /// <c>old</c> carries the old key. The cheapest for writers. The default.
    /// </summary>
    Key = 0,

    /// <summary>
    /// <c>REPLICA IDENTITY FULL</c>, which the connector sets on the table: <c>old</c> carries the whole previous row,
    /// as with triggers. Every update and delete writes the whole old row to the write-ahead log.
    /// </summary>
    Full = 1,
}
