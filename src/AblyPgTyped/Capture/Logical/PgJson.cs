using System;
using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace AblyPgTyped.Capture.Logical;

/// <summary>
/// Renders a value from its PostgreSQL text form (what pgoutput sends) as PostgreSQL's own <c>to_json</c> renders it,
/// byte for byte, so that logical-replication capture records exactly what a capture trigger records. The replication
/// session's settings fix the text forms: <c>DateStyle = ISO</c>, <c>IntervalStyle = postgres</c>, <c>TimeZone = UTC</c>,
/// <c>bytea_output = hex</c>, <c>extra_float_digits = 1</c>.
/// </summary>
internal static class PgJson
{
    private static ReadOnlySpan<byte> Null => "null"u8;

    private static ReadOnlySpan<byte> HexDigits => "0123456789abcdef"u8;

    /// <summary>A value of <paramref name="type"/> from its text form.</summary>
    /// <exception cref="FormatException">The text is not in the form PostgreSQL writes for the type.</exception>
    public static void WriteValue(ByteBuilder json, ReadOnlySpan<byte> text, PgType type)
    {
        switch (type.Category)
        {
            case JsonCategory.Bool:
                json.Append(text.Length > 0 && text[0] == (byte)'t' ? "true"u8 : "false"u8);
                break;
            case JsonCategory.Number:
                if (IsJsonNumber(text))
                {
                    json.Append(text);
                }
                else
                {
                    WriteString(json, text); // NaN and the infinities
                }

                break;
            case JsonCategory.Timestamp:
                WriteTimestamp(json, text, withZone: false);
                break;
            case JsonCategory.TimestampTz:
                WriteTimestamp(json, text, withZone: true);
                break;
            case JsonCategory.Json:
                json.Append(text);
                break;
            case JsonCategory.Array:
                WriteArray(json, text, type);
                break;
            case JsonCategory.Composite:
                WriteComposite(json, text, type);
                break;
            default:
                WriteString(json, text); // dates too: ISO and XSD dates are written alike
                break;
        }
    }

    /// <summary>A JSON string as PostgreSQL's <c>escape_json</c> writes it (other control characters as <c>\u00xx</c>).</summary>
    public static void WriteString(ByteBuilder json, ReadOnlySpan<byte> utf8)
    {
        json.Append((byte)'"');
        var start = 0;
        for (var i = 0; i < utf8.Length; i++)
        {
            var b = utf8[i];
            if (b >= 0x20 && b != (byte)'"' && b != (byte)'\\')
            {
                continue;
            }

            json.Append(utf8[start..i]);
            start = i + 1;
            switch (b)
            {
                case (byte)'"':
                    json.Append("\\\""u8);
                    break;
                case (byte)'\\':
                    json.Append("\\\\"u8);
                    break;
                case (byte)'\b':
                    json.Append("\\b"u8);
                    break;
                case (byte)'\f':
                    json.Append("\\f"u8);
                    break;
                case (byte)'\n':
                    json.Append("\\n"u8);
                    break;
                case (byte)'\r':
                    json.Append("\\r"u8);
                    break;
                case (byte)'\t':
                    json.Append("\\t"u8);
                    break;
                default:
                    json.Append("\\u00"u8);
                    json.Append(HexDigits[b >> 4]);
                    json.Append(HexDigits[b & 0xf]);
                    break;
            }
        }

        json.Append(utf8[start..]);
        json.Append((byte)'"');
    }

    /// <summary><c>bytea</c> (hex text, <c>\x…</c>) as a base64 string without line breaks, as the triggers capture it.</summary>
    public static void WriteBase64(ByteBuilder json, ReadOnlySpan<byte> text)
    {
        if (text.Length < 2 || text[0] != (byte)'\\' || text[1] != (byte)'x' || (text.Length & 1) != 0)
        {
            throw new FormatException("bytea is not in hex form");
        }

        var hex = text[2..];
        var bytes = ArrayPool<byte>.Shared.Rent(Math.Max(1, hex.Length / 2));
        try
        {
            for (var i = 0; i < hex.Length; i += 2)
            {
                bytes[i / 2] = (byte)((Nibble(hex[i]) << 4) | Nibble(hex[i + 1]));
            }

            var length = hex.Length / 2;
            json.Append((byte)'"');
            var target = json.GetSpan(Base64.GetMaxEncodedToUtf8Length(length));
            Base64.EncodeToUtf8(bytes.AsSpan(0, length), target, out _, out var written);
            json.Advance(written);
            json.Append((byte)'"');
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>
    /// <c>extract(epoch FROM value)</c> of an <c>interval</c> or a <c>time</c>, as the triggers capture a <c>TimeSpan</c>:
    /// numeric with six decimals from PostgreSQL 14 on, double precision before. A month counts 30 days, a year 365.25.
    /// </summary>
    public static void WriteEpochSeconds(ByteBuilder json, ReadOnlySpan<byte> text, PgType type, int serverVersion)
    {
        int months = 0, days = 0;
        long micros;
        if (type.BaseName == "interval")
        {
            ParseInterval(text, out months, out days, out micros);
        }
        else if (type.BaseName is "time" or "timetz")
        {
            var end = text.IndexOfAny((byte)'+', (byte)'-');
            micros = ParseTime(end >= 0 ? text[..end] : text);
        }
        else
        {
            throw new FormatException($"{type.Name} is not an interval or a time");
        }

        if (serverVersion >= 140000)
        {
            // interval_part_common: ((4 * 365.25 * years) + (4 * 30 * months) + 4 * days) * (86400 / 4), exact in integers.
            var seconds = ((Int128)(1461L * (months / 12)) + (120L * (months % 12)) + (4L * days)) * 21600;
            var total = (seconds * 1_000_000) + micros;
            var negative = total < 0;
            var magnitude = negative ? -total : total;
            if (negative)
            {
                json.Append((byte)'-');
            }

            json.Append(Encoding.ASCII.GetBytes((magnitude / 1_000_000).ToString(CultureInfo.InvariantCulture)));
            json.Append((byte)'.');
            json.Append(Encoding.ASCII.GetBytes(((long)(magnitude % 1_000_000)).ToString("D6", CultureInfo.InvariantCulture)));
        }
        else
        {
            var value = (micros / 1000000.0) + (365.25 * 86400 * (months / 12)) + (30.0 * 86400 * (months % 12)) + (86400.0 * days);
            json.Append(Encoding.ASCII.GetBytes(FormatFloat8(value)));
        }
    }

    /// <summary>Whether PostgreSQL would write the text unquoted: a JSON number (not NaN or an infinity).</summary>
    public static bool IsJsonNumber(ReadOnlySpan<byte> text)
    {
        var i = 0;
        if (i < text.Length && text[i] == (byte)'-')
        {
            i++;
        }

        var digits = i;
        while (i < text.Length && IsDigit(text[i]))
        {
            i++;
        }

        if (i == digits)
        {
            return false;
        }

        if (i < text.Length && text[i] == (byte)'.')
        {
            var fraction = ++i;
            while (i < text.Length && IsDigit(text[i]))
            {
                i++;
            }

            if (i == fraction)
            {
                return false;
            }
        }

        if (i < text.Length && (text[i] | 0x20) == (byte)'e')
        {
            i++;
            if (i < text.Length && text[i] is (byte)'+' or (byte)'-')
            {
                i++;
            }

            var exponent = i;
            while (i < text.Length && IsDigit(text[i]))
            {
                i++;
            }

            if (i == exponent)
            {
                return false;
            }
        }

        return i == text.Length;
    }

    /// <summary>
    /// ISO text (<c>2024-02-29 18:29:59.5+00</c>) as <c>to_json</c>'s XSD form (<c>2024-02-29T18:29:59.5+00:00</c>): a
    /// <c>T</c> between date and time, and minutes in the offset; <c>infinity</c> and a trailing <c> BC</c> stay.
    /// </summary>
    private static void WriteTimestamp(ByteBuilder json, ReadOnlySpan<byte> text, bool withZone)
    {
        var space = text.IndexOf((byte)' ');
        if (space < 0)
        {
            WriteString(json, text);
            return;
        }

        json.Append((byte)'"');
        json.Append(text[..space]);
        json.Append((byte)'T');
        var rest = text[(space + 1)..];
        if (withZone)
        {
            var sign = rest.IndexOfAny((byte)'+', (byte)'-');
            if (sign > 0)
            {
                var end = rest[sign..].IndexOf((byte)' ') is var s and >= 0 ? sign + s : rest.Length;
                json.Append(rest[..end]);
                if (rest[sign..end].IndexOf((byte)':') < 0)
                {
                    json.Append(":00"u8);
                }

                rest = rest[end..];
            }
        }

        json.Append(rest);
        json.Append((byte)'"');
    }

    /// <summary>An array's text (<c>{1,NULL,"a b"}</c>, maybe with bounds <c>[0:1]=</c>) as a JSON array, nested per dimension.</summary>
    private static void WriteArray(ByteBuilder json, ReadOnlySpan<byte> text, PgType type)
    {
        var pos = 0;
        if (text.Length > 0 && text[0] == (byte)'[')
        {
            pos = text.IndexOf((byte)'=') + 1;
        }

        var scratch = new ByteBuilder(64);
        WriteArrayLevel(json, text, ref pos, type.Element!, type.Delimiter, scratch);
    }

    private static void WriteArrayLevel(ByteBuilder json, ReadOnlySpan<byte> text, ref int pos, PgType element, byte delimiter, ByteBuilder scratch)
    {
        Expect(text, ref pos, (byte)'{');
        json.Append((byte)'[');
        var first = true;
        while (true)
        {
            SkipSpaces(text, ref pos);
            if (pos >= text.Length)
            {
                throw new FormatException("unterminated array");
            }

            if (text[pos] == (byte)'}')
            {
                pos++;
                break;
            }

            if (!first)
            {
                json.Append((byte)',');
            }

            first = false;
            if (text[pos] == (byte)'{')
            {
                WriteArrayLevel(json, text, ref pos, element, delimiter, scratch);
            }
            else
            {
                scratch.Clear();
                var quoted = text[pos] == (byte)'"';
                var escaped = false;
                if (quoted)
                {
                    pos++;
                    while (pos < text.Length && text[pos] != (byte)'"')
                    {
                        if (text[pos] == (byte)'\\')
                        {
                            pos++;
                        }

                        scratch.Append(text[pos++]);
                    }

                    pos++;
                }
                else
                {
                    while (pos < text.Length && text[pos] != delimiter && text[pos] != (byte)'}')
                    {
                        if (text[pos] == (byte)'\\')
                        {
                            pos++;
                            escaped = true;
                        }

                        scratch.Append(text[pos++]);
                    }

                    while (scratch.Length > 0 && IsSpace(scratch.Span[scratch.Length - 1]))
                    {
                        scratch.Truncate(scratch.Length - 1);
                    }
                }

                if (!quoted && !escaped && Ascii.EqualsIgnoreCase(scratch.Span, "NULL"u8))
                {
                    json.Append(Null);
                }
                else
                {
                    var value = scratch.ToArray(); // the scratch buffer is reused by nested values
                    WriteValue(json, value, element);
                }
            }

            SkipSpaces(text, ref pos);
            if (pos < text.Length && text[pos] == delimiter)
            {
                pos++;
            }
        }

        json.Append((byte)']');
    }

    /// <summary>A row's text (<c>(1,"a b",)</c>) as a JSON object keyed by field name; an empty field is NULL.</summary>
    private static void WriteComposite(ByteBuilder json, ReadOnlySpan<byte> text, PgType type)
    {
        var fields = type.Fields!;
        var pos = 0;
        Expect(text, ref pos, (byte)'(');
        json.Append((byte)'{');
        var scratch = new ByteBuilder(64);
        for (var i = 0; i < fields.Length; i++)
        {
            if (i > 0)
            {
                Expect(text, ref pos, (byte)',');
                json.Append((byte)',');
            }

            json.Append(fields[i].Key);
            scratch.Clear();
            var present = false;
            var inQuotes = false;
            while (pos < text.Length && (inQuotes || (text[pos] != (byte)',' && text[pos] != (byte)')')))
            {
                present = true;
                var c = text[pos++];
                if (c == (byte)'\\' && pos < text.Length)
                {
                    scratch.Append(text[pos++]);
                }
                else if (c == (byte)'"' && inQuotes && pos < text.Length && text[pos] == (byte)'"')
                {
                    scratch.Append((byte)'"');
                    pos++;
                }
                else if (c == (byte)'"')
                {
                    inQuotes = !inQuotes;
                }
                else
                {
                    scratch.Append(c);
                }
            }

            if (present)
            {
                WriteValue(json, scratch.ToArray(), fields[i].Type);
            }
            else
            {
                json.Append(Null);
            }
        }

        Expect(text, ref pos, (byte)')');
        json.Append((byte)'}');
    }

    /// <summary>An interval's postgres-style text: <c>1 year 2 mons -3 days +04:05:06.5</c>.</summary>
    private static void ParseInterval(ReadOnlySpan<byte> text, out int months, out int days, out long micros)
    {
        months = 0;
        days = 0;
        micros = 0;
        var pos = 0;
        while (pos < text.Length)
        {
            SkipSpaces(text, ref pos);
            var start = pos;
            while (pos < text.Length && text[pos] != (byte)' ')
            {
                pos++;
            }

            var token = text[start..pos];
            if (token.IsEmpty)
            {
                break;
            }

            if (token.IndexOf((byte)':') >= 0)
            {
                var negative = token[0] == (byte)'-';
                var time = ParseTime(token[0] is (byte)'-' or (byte)'+' ? token[1..] : token);
                micros += negative ? -time : time;
                continue;
            }

            var amount = int.Parse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            SkipSpaces(text, ref pos);
            start = pos;
            while (pos < text.Length && text[pos] != (byte)' ')
            {
                pos++;
            }

            var unit = text[start..pos];
            if (unit.StartsWith("year"u8))
            {
                months += amount * 12;
            }
            else if (unit.StartsWith("mon"u8))
            {
                months += amount;
            }
            else if (unit.StartsWith("day"u8))
            {
                days += amount;
            }
            else
            {
                throw new FormatException("unknown interval unit " + Encoding.UTF8.GetString(unit));
            }
        }
    }

    /// <summary><c>hh:mm:ss[.ffffff]</c> (hours may exceed 24) in microseconds.</summary>
    private static long ParseTime(ReadOnlySpan<byte> text)
    {
        var first = text.IndexOf((byte)':');
        var second = text[(first + 1)..].IndexOf((byte)':') + first + 1;
        var hours = long.Parse(text[..first], NumberStyles.None, CultureInfo.InvariantCulture);
        var minutes = long.Parse(text[(first + 1)..second], NumberStyles.None, CultureInfo.InvariantCulture);
        var secondsText = text[(second + 1)..];
        var dot = secondsText.IndexOf((byte)'.');
        var seconds = long.Parse(dot >= 0 ? secondsText[..dot] : secondsText, NumberStyles.None, CultureInfo.InvariantCulture);
        long fraction = 0;
        if (dot >= 0)
        {
            var digits = secondsText[(dot + 1)..];
            for (var i = 0; i < 6; i++)
            {
                fraction = (fraction * 10) + (i < digits.Length ? digits[i] - '0' : 0);
            }
        }

        return (((((hours * 60) + minutes) * 60) + seconds) * 1_000_000) + fraction;
    }

    /// <summary>float8out's shortest exact form: <c>1e+21</c>, <c>0.5</c>, <c>1.5e-07</c>.</summary>
    private static string FormatFloat8(double value)
    {
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        var e = text.IndexOf('E', StringComparison.Ordinal);
        if (e < 0)
        {
            return text;
        }

        var exponent = text[(e + 1)..];
        var sign = exponent[0] == '-' ? "-" : "+";
        var digits = exponent.TrimStart('+', '-').PadLeft(2, '0');
        return text[..e] + "e" + sign + digits;
    }

    private static int Nibble(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => throw new FormatException("bytea is not in hex form"),
    };

    private static void Expect(ReadOnlySpan<byte> text, ref int pos, byte expected)
    {
        if (pos >= text.Length || text[pos] != expected)
        {
            throw new FormatException($"expected '{(char)expected}' at {pos}");
        }

        pos++;
    }

    private static void SkipSpaces(ReadOnlySpan<byte> text, ref int pos)
    {
        while (pos < text.Length && IsSpace(text[pos]))
        {
            pos++;
        }
    }

    private static bool IsSpace(byte c) => c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\v' or (byte)'\f';

    private static bool IsDigit(byte c) => c is >= (byte)'0' and <= (byte)'9';
}
