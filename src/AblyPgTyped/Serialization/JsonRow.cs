using System;
using System.Buffers;
using System.Buffers.Text;
using System.Collections.Generic;
using System.ComponentModel;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace AblyPgTyped.Serialization;

/// <summary>Reads one JSON value of type <typeparamref name="T"/>; the reader is on the value.</summary>
public delegate T JsonValueReader<T>(ref Utf8JsonReader reader, string column);

/// <summary>Writes one JSON value of type <typeparamref name="T"/>.</summary>
public delegate void JsonValueWriter<in T>(Utf8JsonWriter writer, T value);

/// <summary>
/// Value conversions used by generated row mappers. Readers accept both what PostgreSQL's JSON rendering produces
/// (in the capture store) and what the writers produce (in messages), so one mapper serves both directions.
/// </summary>
/// <remarks>
/// Message formats, chosen so that JavaScript consumers lose nothing: 64-bit integers and decimals are strings;
/// <see cref="byte"/> arrays are base64; dates and times are ISO 8601; <see cref="TimeSpan"/> is the invariant
/// <c>c</c> format (<c>[-][d.]hh:mm:ss[.fffffff]</c>); non-finite floats are the strings <c>NaN</c>,
/// <c>Infinity</c> and <c>-Infinity</c>.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
#pragma warning disable CS1591 // Infrastructure for generated code; each method reads or writes the value its name says.
public static class JsonRow
{
    /// <summary>Writer options for messages: no escaping of non-ASCII text, which would only inflate payloads.</summary>
    public static JsonWriterOptions WriterOptions { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    /// <summary>Throws unless the reader is on the start of an object.</summary>
    public static void ExpectStartObject(ref Utf8JsonReader reader, string table)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"Expected a JSON object for a row of {table}, found {reader.TokenType}.");
        }
    }

    /// <summary>The exception for a null in a column whose property cannot hold null.</summary>
    public static JsonException NullNotAllowed(string column, string property) =>
        new($"Column '{column}' is null, but {property} is not nullable.");

    public static bool ReadBoolean(ref Utf8JsonReader reader, string column) => reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        JsonTokenType.String when reader.ValueTextEquals("true"u8) => true,
        JsonTokenType.String when reader.ValueTextEquals("false"u8) => false,
        _ => throw Invalid(ref reader, column, "a boolean"),
    };

    public static byte ReadByte(ref Utf8JsonReader reader, string column) => (byte)ReadIntegral(ref reader, column, byte.MinValue, byte.MaxValue);

    public static sbyte ReadSByte(ref Utf8JsonReader reader, string column) => (sbyte)ReadIntegral(ref reader, column, sbyte.MinValue, sbyte.MaxValue);

    public static short ReadInt16(ref Utf8JsonReader reader, string column) => (short)ReadIntegral(ref reader, column, short.MinValue, short.MaxValue);

    public static ushort ReadUInt16(ref Utf8JsonReader reader, string column) => (ushort)ReadIntegral(ref reader, column, ushort.MinValue, ushort.MaxValue);

    public static int ReadInt32(ref Utf8JsonReader reader, string column) => (int)ReadIntegral(ref reader, column, int.MinValue, int.MaxValue);

    public static uint ReadUInt32(ref Utf8JsonReader reader, string column) => (uint)ReadIntegral(ref reader, column, uint.MinValue, uint.MaxValue);

    public static long ReadInt64(ref Utf8JsonReader reader, string column) => ReadIntegral(ref reader, column, long.MinValue, long.MaxValue);

    public static ulong ReadUInt64(ref Utf8JsonReader reader, string column)
    {
        var text = NumberText(ref reader, column, "an unsigned 64-bit integer");
        return Utf8Parser.TryParse(text, out ulong value, out var consumed) && consumed == text.Length
            ? value
            : throw Invalid(ref reader, column, "an unsigned 64-bit integer");
    }

    public static float ReadSingle(ref Utf8JsonReader reader, string column) => (float)ReadDouble(ref reader, column);

    public static double ReadDouble(ref Utf8JsonReader reader, string column)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            return reader.GetDouble();
        }

        if (reader.TokenType == JsonTokenType.String)
        {
            var text = reader.GetString()!;
            return text switch
            {
                "NaN" => double.NaN,
                "Infinity" => double.PositiveInfinity,
                "-Infinity" => double.NegativeInfinity,
                _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                    ? value
                    : throw Invalid(ref reader, column, "a floating-point number"),
            };
        }

        throw Invalid(ref reader, column, "a floating-point number");
    }

    public static decimal ReadDecimal(ref Utf8JsonReader reader, string column)
    {
        var text = NumberText(ref reader, column, "a decimal");
        return decimal.TryParse(Encoding.UTF8.GetString(text), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Invalid(ref reader, column, "a decimal that fits System.Decimal");
    }

    /// <summary>Reads text; numbers and booleans are accepted as their JSON text, so a numeric column can map to a string.</summary>
    public static string? ReadString(ref Utf8JsonReader reader, string column) => reader.TokenType switch
    {
        JsonTokenType.Null => null,
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False => Encoding.UTF8.GetString(reader.ValueSpan),
        _ => throw Invalid(ref reader, column, "a string"),
    };

    public static char ReadChar(ref Utf8JsonReader reader, string column)
    {
        var text = reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw Invalid(ref reader, column, "a single character");
        return text.Length == 1 ? text[0] : throw Invalid(ref reader, column, "a single character");
    }

    public static Guid ReadGuid(ref Utf8JsonReader reader, string column) =>
        reader.TokenType == JsonTokenType.String && Guid.TryParse(reader.GetString(), out var value)
            ? value
            : throw Invalid(ref reader, column, "a UUID");

    /// <summary>Reads a timestamp: with an offset (timestamptz) it becomes UTC; without one (timestamp) it stays unspecified.</summary>
    public static DateTime ReadDateTime(ref Utf8JsonReader reader, string column)
    {
        if (TryReadWithOffset(ref reader, out var fast))
        {
            return fast.UtcDateTime;
        }

        var text = TimestampText(ref reader, column);
        if (text == "infinity")
        {
            return DateTime.MaxValue;
        }

        if (text == "-infinity")
        {
            return DateTime.MinValue;
        }

        if (HasOffset(text))
        {
            return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var withOffset)
                ? withOffset.UtcDateTime
                : throw Invalid(ref reader, column, "an ISO 8601 timestamp");
        }

        return DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value)
            ? DateTime.SpecifyKind(value, DateTimeKind.Unspecified)
            : throw Invalid(ref reader, column, "an ISO 8601 timestamp");
    }

    /// <summary>Reads a timestamp with its offset; a timestamp without one is taken as UTC.</summary>
    public static DateTimeOffset ReadDateTimeOffset(ref Utf8JsonReader reader, string column)
    {
        if (TryReadWithOffset(ref reader, out var fast))
        {
            return fast;
        }

        var text = TimestampText(ref reader, column);
        if (text == "infinity")
        {
            return DateTimeOffset.MaxValue;
        }

        if (text == "-infinity")
        {
            return DateTimeOffset.MinValue;
        }

        var styles = HasOffset(text) ? DateTimeStyles.None : DateTimeStyles.AssumeUniversal;
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, styles, out var value)
            ? value
            : throw Invalid(ref reader, column, "an ISO 8601 timestamp");
    }

    public static DateOnly ReadDateOnly(ref Utf8JsonReader reader, string column)
    {
        var text = TimestampText(ref reader, column);
        return text switch
        {
            "infinity" => DateOnly.MaxValue,
            "-infinity" => DateOnly.MinValue,
            _ => DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var value)
                ? value
                : throw Invalid(ref reader, column, "an ISO 8601 date (yyyy-MM-dd)"),
        };
    }

    public static TimeOnly ReadTimeOnly(ref Utf8JsonReader reader, string column) =>
        reader.TokenType == JsonTokenType.String
        && TimeOnly.TryParse(reader.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var value)
            ? value
            : throw Invalid(ref reader, column, "a time of day (HH:mm:ss)");

    /// <summary>Reads a duration: a number of seconds (the capture store) or the invariant <c>c</c> format (messages).</summary>
    public static TimeSpan ReadTimeSpan(ref Utf8JsonReader reader, string column)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetDecimal(out var seconds))
        {
            var ticks = decimal.Round(seconds * TimeSpan.TicksPerSecond);
            return ticks is >= long.MinValue and <= long.MaxValue
                ? TimeSpan.FromTicks((long)ticks)
                : throw Invalid(ref reader, column, "a duration that fits System.TimeSpan");
        }

        return reader.TokenType == JsonTokenType.String
               && TimeSpan.TryParseExact(reader.GetString(), "c", CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Invalid(ref reader, column, "a duration (seconds, or [-][d.]hh:mm:ss[.fffffff])");
    }

    public static byte[]? ReadBytes(ref Utf8JsonReader reader, string column)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        return reader.TokenType == JsonTokenType.String && reader.TryGetBytesFromBase64(out var bytes)
            ? bytes
            : throw Invalid(ref reader, column, "base64 bytes");
    }

    public static JsonElement ReadJsonElement(ref Utf8JsonReader reader, string column) => JsonElement.ParseValue(ref reader);

    public static JsonDocument? ReadJsonDocument(ref Utf8JsonReader reader, string column) =>
        reader.TokenType == JsonTokenType.Null ? null : JsonDocument.ParseValue(ref reader);

    /// <summary>Reads a JSON array (a PostgreSQL array) element by element.</summary>
    public static T[]? ReadArray<T>(ref Utf8JsonReader reader, string column, JsonValueReader<T> element) =>
        ReadList(ref reader, column, element)?.ToArray();

    /// <summary>Reads a JSON array (a PostgreSQL array) element by element.</summary>
    public static List<T>? ReadList<T>(ref Utf8JsonReader reader, string column, JsonValueReader<T> element)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw Invalid(ref reader, column, "an array");
        }

        var items = new List<T>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            items.Add(element(ref reader, column));
        }

        return items;
    }

    /// <summary>Reads an array element that may be null.</summary>
    public static T? ReadNullable<T>(ref Utf8JsonReader reader, string column, JsonValueReader<T> value)
        where T : struct =>
        reader.TokenType == JsonTokenType.Null ? null : value(ref reader, column);

    public static void WriteInt64(Utf8JsonWriter writer, long value) => writer.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));

    public static void WriteUInt64(Utf8JsonWriter writer, ulong value) => writer.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));

    public static void WriteDecimal(Utf8JsonWriter writer, decimal value) => writer.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));

    public static void WriteDouble(Utf8JsonWriter writer, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            writer.WriteStringValue(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
        }
    }

    public static void WriteSingle(Utf8JsonWriter writer, float value)
    {
        if (float.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            WriteDouble(writer, value);
        }
    }

    public static void WriteChar(Utf8JsonWriter writer, char value) => writer.WriteStringValue([value]);

    public static void WriteDateOnly(Utf8JsonWriter writer, DateOnly value) =>
        writer.WriteStringValue(value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));

    public static void WriteTimeOnly(Utf8JsonWriter writer, TimeOnly value) =>
        writer.WriteStringValue(value.ToString("HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture));

    public static void WriteTimeSpan(Utf8JsonWriter writer, TimeSpan value) =>
        writer.WriteStringValue(value.ToString("c", CultureInfo.InvariantCulture));

    public static void WriteString(Utf8JsonWriter writer, string? value)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteStringValue(value);
        }
    }

    public static void WriteBytes(Utf8JsonWriter writer, byte[]? value)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteBase64StringValue(value);
        }
    }

    public static void WriteJsonDocument(Utf8JsonWriter writer, JsonDocument? value)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            value.WriteTo(writer);
        }
    }

    /// <summary>Writes a JSON array; a default <see cref="JsonElement"/> is written as null.</summary>
    public static void WriteJsonElement(Utf8JsonWriter writer, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Undefined)
        {
            writer.WriteNullValue();
        }
        else
        {
            value.WriteTo(writer);
        }
    }

    /// <summary>Writes a sequence as a JSON array, or null.</summary>
    public static void WriteArray<T>(Utf8JsonWriter writer, IEnumerable<T>? values, JsonValueWriter<T> element)
    {
        if (values is null)
        {
            writer.WriteNullValue();
            return;
        }

        writer.WriteStartArray();
        foreach (var value in values)
        {
            element(writer, value);
        }

        writer.WriteEndArray();
    }

    /// <summary>Writes an array element that may be null.</summary>
    public static void WriteNullable<T>(Utf8JsonWriter writer, T? value, JsonValueWriter<T> element)
        where T : struct
    {
        if (value is { } present)
        {
            element(writer, present);
        }
        else
        {
            writer.WriteNullValue();
        }
    }

    /// <summary>The exception for an enum name that is not a member; used by generated enum readers.</summary>
    public static JsonException UnknownEnumMember(string column, string enumType, string? value) =>
        new($"Column '{column}' holds '{value}', which is not a member of {enumType}.");

    /// <summary>Reads an enum's numeric value; used by generated enum readers when the column is an integer.</summary>
    public static long ReadEnumNumber(ref Utf8JsonReader reader, string column) => ReadIntegral(ref reader, column, long.MinValue, long.MaxValue);

    private static long ReadIntegral(ref Utf8JsonReader reader, string column, long min, long max)
    {
        var text = NumberText(ref reader, column, "an integer");
        if (Utf8Parser.TryParse(text, out long value, out var consumed) && consumed == text.Length && value >= min && value <= max)
        {
            return value;
        }

        throw Invalid(ref reader, column, $"an integer between {min} and {max}");
    }

    /// <summary>The raw text of a number, or of a string holding one (how messages carry 64-bit values).</summary>
    private static ReadOnlySpan<byte> NumberText(ref Utf8JsonReader reader, string column, string expected)
    {
        if (reader.TokenType is not (JsonTokenType.Number or JsonTokenType.String) || reader.HasValueSequence || reader.ValueIsEscaped)
        {
            throw Invalid(ref reader, column, expected);
        }

        return reader.ValueSpan;
    }

    private static string TimestampText(ref Utf8JsonReader reader, string column) =>
        reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw Invalid(ref reader, column, "an ISO 8601 date or timestamp");

    /// <summary>
    /// The common case without a string: a timestamp with an explicit offset, as PostgreSQL renders timestamptz
    /// (<c>2026-11-24T10:15:02.123456+00:00</c>), read by the JSON reader's ISO 8601 parser. Anything else (no offset,
    /// which means UTC here but local time to that parser; infinity; years outside 1-9999; second offsets) returns
    /// false and takes the general path.
    /// </summary>
    private static bool TryReadWithOffset(ref Utf8JsonReader reader, out DateTimeOffset value)
    {
        value = default;
        if (reader.TokenType != JsonTokenType.String || reader.HasValueSequence || reader.ValueIsEscaped)
        {
            return false;
        }

        var raw = reader.ValueSpan;
        var offset = raw.Length >= 20 && raw[10] == (byte)'T'
                     && (raw[^1] == (byte)'Z' || (raw[^6] is (byte)'+' or (byte)'-' && raw[^3] == (byte)':'));
        return offset && reader.TryGetDateTimeOffset(out value);
    }

    /// <summary>Whether an ISO 8601 timestamp ends with Z or a ±hh:mm offset after its time part.</summary>
    private static bool HasOffset(string text)
    {
        var time = text.IndexOfAny(['T', ' ']);
        return time >= 0 && text.AsSpan(time).IndexOfAny("Z+-") >= 0;
    }

    private static JsonException Invalid(ref Utf8JsonReader reader, string column, string expected)
    {
        var found = reader.TokenType switch
        {
            JsonTokenType.String or JsonTokenType.Number => $"{reader.TokenType.ToString().ToLowerInvariant()} {Preview(ref reader)}",
            _ => reader.TokenType.ToString(),
        };
        return new JsonException($"Column '{column}' should hold {expected}, but holds {found}.");
    }

    private static string Preview(ref Utf8JsonReader reader)
    {
        var text = reader.HasValueSequence ? Encoding.UTF8.GetString(reader.ValueSequence.ToArray()) : Encoding.UTF8.GetString(reader.ValueSpan);
        return text.Length <= 40 ? $"'{text}'" : $"'{text[..40]}…'";
    }
}
#pragma warning restore CS1591
