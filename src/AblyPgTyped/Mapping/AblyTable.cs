using System;
using System.Collections.Generic;
using System.Linq;
using AblyPgTyped.Capture;
using ChangeMapping = AblyPgTyped.Capture.ChangeMapping;

namespace AblyPgTyped;

/// <summary>
/// A table mapping: which table, which columns, which operations go to which channels, and the capture DDL.
/// Instances are generated at compile time for every type marked with <see cref="AblyTableAttribute"/>;
/// the registry <c>AblyPgTables.All</c>, generated in the project's root namespace, lists them without reflection.
/// </summary>
public abstract class AblyTable
{

    /// <summary>Creates the mapping. Called by generated code.</summary>
    protected AblyTable(
        string schema,
        string name,
        IReadOnlyList<AblyColumn> columns,
        string? insertChannel,
        string? updateChannel,
        string? deleteChannel,
        ColumnNaming columnNaming = ColumnNaming.Exact)
    {
        Schema = schema;
        Name = name;
        Columns = columns;
        ColumnNaming = columnNaming;
        InsertChannel = insertChannel;
        UpdateChannel = updateChannel;
        DeleteChannel = deleteChannel;
        KeyColumns = columns.Where(c => c.IsKey).ToArray();
        Capture = new TableCapture(
            schema,
            name,
            columns.Select(c => new CapturedColumn(c.Name, c.Capture)).ToArray(),
            insertChannel is not null,
            updateChannel is not null,
            deleteChannel is not null);
    }

    /// <summary>What the triggers capture for this mapping.</summary>
    internal TableCapture Capture { get; }

    /// <summary>The table's schema.</summary>
    public string Schema { get; }

    /// <summary>The table's name.</summary>
    public string Name { get; }

    /// <summary>The mapped columns, in declaration order. Ignored properties are not among them.</summary>
    public IReadOnlyList<AblyColumn> Columns { get; }

    /// <summary>
    /// The convention that named the columns of properties without <see cref="AblyColumnAttribute"/>, applied at compile
    /// time: <see cref="AblyColumn.Name"/> already holds its result.
    /// </summary>
    public ColumnNaming ColumnNaming { get; }

    /// <summary>The key columns (possibly none for an insert-only mapping).</summary>
    public IReadOnlyList<AblyColumn> KeyColumns { get; }

    /// <summary>The channel template for inserts, or <see langword="null"/> when inserts are not captured.</summary>
    public string? InsertChannel { get; }

    /// <summary>The channel template for updates, or <see langword="null"/> when updates are not captured.</summary>
    public string? UpdateChannel { get; }

    /// <summary>The channel template for deletes, or <see langword="null"/> when deletes are not captured.</summary>
    public string? DeleteChannel { get; }

    /// <summary>The mapped CLR type.</summary>
    public abstract Type RowType { get; }

    /// <summary>The schema-qualified, quoted table name.</summary>
    public string QualifiedName => CaptureSql.QualifiedName(Schema, Name);

    /// <summary>
    /// The channel template of an operation, or <see langword="null"/> when it is not captured. Snapshots (backfilled
    /// rows) use the insert channel unless the backfill names one.
    /// </summary>
    public string? ChannelTemplate(ChangeKind kind) => kind switch
    {
        ChangeKind.Insert or ChangeKind.Snapshot => InsertChannel,
        ChangeKind.Update => UpdateChannel,
        ChangeKind.Delete => DeleteChannel,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown change kind."),
    };

    /// <summary>Whether changes of <paramref name="kind"/> are captured.</summary>
    public bool Captures(ChangeKind kind) => ChannelTemplate(kind) is not null;

    /// <summary>
    /// The DDL that installs this table's capture triggers into <paramref name="captureSchema"/>. Idempotent.
    /// It expects the capture store to exist; the connector installs both in one transaction.
    /// </summary>
    public string GetInstallSql(string captureSchema = CaptureSql.DefaultSchema) => CaptureSql.InstallTable(captureSchema, Capture);

    /// <summary>
    /// The DDL that publishes this table for logical-replication capture into <paramref name="captureSchema"/>'s
    /// publications: its mapped operations, its columns (PostgreSQL 15+) and, with <see cref="AblyPgTyped.ReplicaIdentity.Full"/>,
    /// <c>REPLICA IDENTITY FULL</c>. Idempotent; it expects the publications to exist (the connector installs both).
    /// </summary>
    public string GetPublicationSql(string captureSchema = CaptureSql.DefaultSchema) =>
        global::AblyPgTyped.Capture.Logical.PublicationSql.InstallTable(captureSchema, Capture, ReplicaIdentity == AblyPgTyped.ReplicaIdentity.Full);

    /// <summary>The DDL that removes this table's capture triggers and functions. Idempotent.</summary>
    public string GetUninstallSql(string captureSchema = CaptureSql.DefaultSchema) => CaptureSql.UninstallTable(captureSchema, Schema, Name);

    /// <summary>
    /// What <c>old</c> carries with <see cref="CaptureMode.LogicalReplication"/> capture, as
    /// <see cref="AblyTableAttribute.ReplicaIdentity"/> sets it: generated code overrides it for <see cref="AblyPgTyped.ReplicaIdentity.Full"/>.
    /// </summary>
    public virtual ReplicaIdentity ReplicaIdentity => AblyPgTyped.ReplicaIdentity.Key;

    /// <summary>The connector's view of this mapping.</summary>
    internal abstract ChangeMapping CreateMapping();

    /// <inheritdoc />
    public override string ToString() => $"{RowType.Name} -> {Schema}.{Name}";
}
