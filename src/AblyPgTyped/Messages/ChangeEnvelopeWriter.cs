using System;
using System.Globalization;
using System.Text.Json;

namespace AblyPgTyped;

/// <summary>
/// Writes the <c>data</c> of a change message:
/// <c>{"schema","table","operation","position","capturedAt","key","new","old"}</c>, and <c>"moved":true</c> on the delete
/// that the channel a row left hears when an update moves it to another per-row channel.
/// The rows are written by the caller (the generated mapper, or raw JSON for untyped mappings).
/// </summary>
internal static class ChangeEnvelopeWriter
{
    public delegate void RowWriter(Utf8JsonWriter writer);

    public static void Write(
        Utf8JsonWriter writer, string schema, string table, ChangeKind kind, ChangePosition position, DateTimeOffset capturedAt,
        RowWriter? key, RowWriter? newRow, RowWriter? oldRow, bool moved = false)
    {
        writer.WriteStartObject();
        writer.WriteString("schema"u8, schema);
        writer.WriteString("table"u8, table);
        writer.WriteString("operation"u8, ChangeMessage.NameOf(kind));
        writer.WriteString("position"u8, position.ToString());
        writer.WriteString("capturedAt"u8, capturedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
        if (key is not null)
        {
            writer.WritePropertyName("key"u8);
            key(writer);
        }

        if (newRow is not null)
        {
            writer.WritePropertyName("new"u8);
            newRow(writer);
        }

        if (oldRow is not null)
        {
            writer.WritePropertyName("old"u8);
            oldRow(writer);
        }

        if (moved)
        {
            writer.WriteBoolean("moved"u8, true);
        }

        writer.WriteEndObject();
    }
}
