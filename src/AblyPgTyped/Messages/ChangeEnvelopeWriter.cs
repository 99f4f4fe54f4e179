using System;
using System.Globalization;
using System.Text.Json;
using System.Text.Unicode;

namespace AblyPgTyped;

/// <summary>
/// Writes the <c>data</c> of a change message:
/// <c>{"schema","table","operation","position","capturedAt","key","new","old"}</c>, and <c>"moved":true</c> on the delete
/// that the channel a row left hears when an update moves it to another per-row channel.
/// The rows are written by the caller between <see cref="WriteStart"/> and <see cref="WriteEnd"/> (the generated mapper,
/// or raw JSON for untyped mappings), each after its property name, so that rendering a change allocates nothing of
/// its own beyond the message.
/// </summary>
internal static class ChangeEnvelopeWriter
{
    public static void WriteStart(Utf8JsonWriter writer, string schema, string table, ChangeKind kind, ChangePosition position, DateTimeOffset capturedAt)
    {
        writer.WriteStartObject();
        writer.WriteString("schema"u8, schema);
        writer.WriteString("table"u8, table);
        writer.WriteString("operation"u8, ChangeMessage.NameOf(kind));

        // The position's text form (ChangePosition.ToString) and the time in microseconds, formatted without a string.
        Span<byte> text = stackalloc byte[64];
        Utf8.TryWrite(text, CultureInfo.InvariantCulture, $"{position.CaptureId}.{position.Index}", out var length);
        writer.WriteString("position"u8, text[..length]);
        capturedAt.UtcDateTime.TryFormat(text, out length, "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
        writer.WriteString("capturedAt"u8, text[..length]);
    }

    public static void WriteEnd(Utf8JsonWriter writer, bool moved = false)
    {
        if (moved)
        {
            writer.WriteBoolean("moved"u8, true);
        }

        writer.WriteEndObject();
    }
}
