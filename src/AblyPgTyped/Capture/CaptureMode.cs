namespace AblyPgTyped;

/// <summary>How the connector captures row changes.</summary>
public enum CaptureMode
{
    /// <summary>
    /// Triggers write every change into an outbox table in the writing transaction. Works on any PostgreSQL 13+ with
    /// no server settings; writers pay for the extra writes. The default.
    /// </summary>
    Triggers = 0,

    /// <summary>
    /// The write-ahead log is read through a logical replication slot (pgoutput). Writers pay nothing; the server needs
    /// <c>wal_level = logical</c> and the connector's role the <c>REPLICATION</c> attribute.
    /// </summary>
    LogicalReplication = 1,
}
