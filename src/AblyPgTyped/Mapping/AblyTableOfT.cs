using System;
using System.Text.Json;

namespace AblyPgTyped;

/// <summary>
/// The typed half of a table mapping: the row mapper between <typeparamref name="T"/> and its JSON row, and the
/// per-row channel resolution. Implemented by generated code with <see cref="Utf8JsonReader"/> and
/// <see cref="Utf8JsonWriter"/>; nothing here uses reflection.
/// </summary>
/// <typeparam name="T">The mapped row type.</typeparam>
public abstract class AblyTable<T> : AblyTable
{
    /// <summary>Creates the mapping. Called by generated code.</summary>
    protected AblyTable(
        string schema,
        string name,
        System.Collections.Generic.IReadOnlyList<AblyColumn> columns,
        string? insertChannel,
        string? updateChannel,
        string? deleteChannel,
        ColumnNaming columnNaming = ColumnNaming.Exact)
        : base(schema, name, columns, insertChannel, updateChannel, deleteChannel, columnNaming)
    {
    }

    /// <inheritdoc />
    public override Type RowType => typeof(T);

    /// <summary>
    /// Reads one row object. The reader must be on the object's <see cref="JsonTokenType.StartObject"/>; it is left on
    /// the matching end. Accepts both the capture store's rendering and the message rendering of every value.
    /// Unknown members are skipped; missing members keep their defaults.
    /// </summary>
    /// <exception cref="JsonException">A value does not fit its property; the message names the column.</exception>
    public abstract T Read(ref Utf8JsonReader reader);

    /// <summary>Writes the row as a JSON object keyed by column name. 64-bit integers and decimals are written as strings.</summary>
    public abstract void Write(Utf8JsonWriter writer, T row);

    /// <summary>Writes the row's key columns as a JSON object.</summary>
    public abstract void WriteKey(Utf8JsonWriter writer, T row);

    /// <summary>
    /// The channel that a change of <paramref name="kind"/> to <paramref name="row"/> is published on, with placeholders
    /// resolved (for deletes, <paramref name="row"/> is the old row); <see langword="null"/> when the kind is not captured.
    /// </summary>
    public abstract string? ResolveChannel(ChangeKind kind, T row);

    /// <summary>Reads the changes in a received message's <c>data</c> (one change, or a bundle).</summary>
    public System.Collections.Generic.IReadOnlyList<Change<T>> ReadChanges(string data) => ChangeReader.ReadData(this, data);

    /// <summary>Reads the changes in a received message's <c>data</c> (one change, or a bundle).</summary>
    public System.Collections.Generic.IReadOnlyList<Change<T>> ReadChanges(ReadOnlySpan<byte> data) => ChangeReader.ReadData(this, data);

    internal override Capture.ChangeMapping CreateMapping() => new Capture.TypedMapping<T>(this);

    /// <summary>Reads one row from its UTF-8 JSON text.</summary>
    public T Read(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read())
        {
            throw new JsonException($"Expected a JSON object for a row of {Schema}.{Name}, found nothing.");
        }

        return Read(ref reader);
    }

    /// <summary>Writes one row to UTF-8 JSON text.</summary>
    public byte[] Write(T row)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, Serialization.JsonRow.WriterOptions))
        {
            Write(writer, row);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
