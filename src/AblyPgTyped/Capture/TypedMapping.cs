using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;



namespace AblyPgTyped.Capture;

/// <summary>A mapping generated for <typeparamref name="T"/>, with the application's typed handlers.</summary>
internal sealed class TypedMapping<T>(AblyTable<T> table) : ChangeMapping
{
    private readonly List<Func<Change<T>, CancellationToken, Task>>[] _handlers = [[], [], [], [], []];

    /// <summary>Whether the update channel has placeholders, so that an update may move its row to another channel.</summary>
    private readonly bool _updateChannelVaries = table.UpdateChannel?.Contains('{', StringComparison.Ordinal) == true;

    public AblyTable<T> Table { get; } = table;

    public override string Schema => Table.Schema;

    public override string TableName => Table.Name;


    public override TableCapture Capture => Table.Capture;

    public override IReadOnlyList<AblyColumn>? Columns => Table.Columns;

    public override ReplicaIdentity ReplicaIdentity => Table.ReplicaIdentity;

    public override string RowType => typeof(T).FullName ?? typeof(T).Name;

    public override ColumnNaming ColumnNaming => Table.ColumnNaming;

    public override string? ChannelTemplate(ChangeKind kind) => Table.ChannelTemplate(kind);

    public void AddHandler(ChangeKind kind, Func<Change<T>, CancellationToken, Task> handler) => _handlers[(int)kind].Add(handler);

    public override DecodedChange Decode(ReadOnlySpan<byte> element, ChangeKind kind, ChangePosition position, DateTimeOffset capturedAt)
    {
        var reader = new Utf8JsonReader(element);
        reader.Read();
        T? oldRow = default, newRow = default;
        string? namedChannel = null;
        switch (kind)
        {
            case ChangeKind.Insert:
                newRow = Table.Read(ref reader);
                break;
            case ChangeKind.Snapshot:
                namedChannel = SnapshotElement.ReadChannel(ref reader);
                newRow = Table.Read(ref reader);
                break;
            case ChangeKind.Delete:
                oldRow = Table.Read(ref reader);
                break;
            default:
                if (reader.TokenType != JsonTokenType.StartArray || !reader.Read())
                {
                    throw new JsonException("An update must be captured as [old, new].");
                }

                oldRow = reader.TokenType == JsonTokenType.Null ? default : Table.Read(ref reader);
                reader.Read();
                newRow = Table.Read(ref reader);
                break;
        }

        var change = new Change<T>(kind, Table.Schema, Table.Name, position, capturedAt, newRow, oldRow);
        var channel = kind == ChangeKind.Snapshot ? namedChannel ?? Table.ResolveChannel(ChangeKind.Insert, change.Row) : Table.ResolveChannel(kind, change.Row);
        return new Decoded(this, change, channel);
    }

    public override bool UpdateChannelNamesKeysOnly =>
        ChannelTemplates.Placeholders(Table.UpdateChannel).All(p => Table.KeyColumns.Any(k => k.Property == p));

    /// <summary>
    /// The delete that the channel a row left hears when an update moved it to another per-row channel: the old row
    /// alone (the new one belongs to the new channel's subscribers), at the update's position.
    /// </summary>
    private Decoded? DepartureOf(Change<T> update, string? channel)
    {
        if (channel is null || !_updateChannelVaries || update.Old is null)
        {
            return null;
        }

        var left = Table.ResolveChannel(ChangeKind.Update, update.Old!);
        if (left is null || string.Equals(left, channel, StringComparison.Ordinal))
        {
            return null;
        }

        var departure = new Change<T>(ChangeKind.Delete, update.Schema, update.Table, update.Position, update.CapturedAt, default, update.Old) { Moved = true };
        return new Decoded(this, departure, left);
    }


    private sealed class Decoded(TypedMapping<T> mapping, Change<T> change, string? channel)
        : DecodedChange(mapping, change.Kind, change.Position, change.CapturedAt, channel)
    {
        /// <summary>Handlers run for the update, not for the delete its row's old channel hears.</summary>
        public override bool HasHandlers => !change.Moved && mapping._handlers[(int)change.Kind].Count > 0;

        public override bool Moved => change.Moved;

        public override DecodedChange? Departure() => change.Kind == ChangeKind.Update ? mapping.DepartureOf(change, Channel) : null;

        public override void WriteData(Utf8JsonWriter writer)
        {
            var table = mapping.Table;
            ChangeEnvelopeWriter.WriteStart(writer, table.Schema, table.Name, change.Kind, change.Position, change.CapturedAt);
            if (table.KeyColumns.Count > 0)
            {
                writer.WritePropertyName("key"u8);
                table.WriteKey(writer, change.Row);
            }

            if (change.New is { } newRow)
            {
                writer.WritePropertyName("new"u8);
                table.Write(writer, newRow);
            }

            if (change.Old is { } oldRow)
            {
                writer.WritePropertyName("old"u8);
                table.Write(writer, oldRow);
            }

            ChangeEnvelopeWriter.WriteEnd(writer, change.Moved);
        }

        public override void WriteCompatibleData(Utf8JsonWriter writer)
        {
            writer.WriteStartObject();
            writer.WriteString("table"u8, mapping.Table.Name);
            writer.WriteString("type"u8, SnapshotElement.CompatibleType(change.Kind));
            writer.WritePropertyName("row"u8);
            mapping.Table.Write(writer, change.Row);
            writer.WriteEndObject();
        }

        public override async Task InvokeHandlersAsync(CancellationToken cancellationToken)
        {
            foreach (var handler in mapping._handlers[(int)change.Kind])
            {
                await handler(change, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
