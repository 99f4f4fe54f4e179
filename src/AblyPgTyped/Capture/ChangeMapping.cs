using System;
using System.Collections.Generic;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace AblyPgTyped.Capture;

/// <summary>
/// A table as the connector handles it: what to capture, and how a captured change becomes a message.
/// Typed mappings wrap a generated <see cref="AblyTable{T}"/>; untyped ones publish rows as JSON.
/// </summary>
internal abstract class ChangeMapping
{
    public abstract string Schema { get; }

    public abstract string TableName { get; }

    /// <summary>What the triggers capture.</summary>
    public abstract TableCapture Capture { get; }

    /// <summary>The mapped columns, to check against the table before installing; null captures whole rows.</summary>
    public abstract IReadOnlyList<AblyColumn>? Columns { get; }

    /// <summary>What <c>old</c> carries with logical-replication capture (the replica identity the table needs).</summary>
    public abstract ReplicaIdentity ReplicaIdentity { get; }

    /// <summary>What the control table records as the row type.</summary>
    public abstract string RowType { get; }

    /// <summary>Who declared the mapping, for error messages.</summary>
    public virtual string MappedBy => RowType;

    /// <summary>The convention that named the mapped columns, for start-up hints.</summary>
    public virtual ColumnNaming ColumnNaming => ColumnNaming.Exact;

    public abstract string? ChannelTemplate(ChangeKind kind);

    /// <summary>
    /// Whether every placeholder of the update channel names a key property, so that an old row holding only its key
    /// (logical replication with key-only identity, when the key changed) still resolves the channel an update left.
    /// </summary>
    public virtual bool UpdateChannelNamesKeysOnly => false;

    /// <summary>
    /// Decodes one captured change: a row object for inserts and deletes, an <c>[old, new]</c> array for updates
    /// (<c>old</c> may be <c>null</c>: logical replication with key-only replica identity does not log it).
    /// </summary>
    /// <exception cref="JsonException">The captured JSON does not fit the mapping.</exception>
    public abstract DecodedChange Decode(ReadOnlySpan<byte> element, ChangeKind kind, ChangePosition position, DateTimeOffset capturedAt);

    public string DisplayName => Schema + "." + TableName;
}

/// <summary>A captured change, decoded and routed, ready to become a message.</summary>
internal abstract class DecodedChange(ChangeMapping mapping, ChangeKind kind, ChangePosition position, DateTimeOffset capturedAt, string? channel)
{
    public ChangeMapping Mapping { get; } = mapping;

    public ChangeKind Kind { get; } = kind;

    public ChangePosition Position { get; } = position;

    public DateTimeOffset CapturedAt { get; } = capturedAt;

    /// <summary>The resolved channel; null when this kind of change is not published.</summary>
    public string? Channel { get; } = channel;

    /// <summary>Writes the message <c>data</c> envelope.</summary>
    public abstract void WriteData(Utf8JsonWriter writer);

    /// <summary>Writes the data in the Node.js original's shape: <c>{"table","type","row"}</c>.</summary>
    public abstract void WriteCompatibleData(Utf8JsonWriter writer);

    /// <summary>
    /// For an update that moved its row to another per-row channel: the delete that the channel it left hears (its
    /// <see cref="Moved"/> is true), resolved from the old row. Null for every other change, and when the old row is
    /// not known.
    /// </summary>
    public virtual DecodedChange? Departure() => null;

    /// <summary>Whether this is the <see cref="Departure"/> of an update: a delete on the channel its row left.</summary>
    public virtual bool Moved => false;

    /// <summary>Runs the application's handlers for this change.</summary>
    public abstract Task InvokeHandlersAsync(CancellationToken cancellationToken);

    public abstract bool HasHandlers { get; }
}
