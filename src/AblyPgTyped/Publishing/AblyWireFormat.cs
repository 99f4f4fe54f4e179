using System;
using System.Buffers;
using System.Collections.Generic;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace AblyPgTyped.Publishing;

/// <summary>
/// Ably's JSON wire form of a message as this connector sends it:
/// <c>{"id","name","data":"&lt;JSON text&gt;","encoding":"json","extras":{"headers":{…}}}</c>,
/// and the batch publish envelope <c>[{"channels":["name"],"messages":[…]}, …]</c>.
/// </summary>
internal static class AblyWireFormat
{
    /// <summary>
    /// Relaxed escaping: the body is never embedded in HTML, and escaping the quotes of JSON payloads as <c>\u0022</c>
    /// would triple their size. Validation is skipped because the structure is fixed by this class.
    /// </summary>
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
        Indented = false,
    };

    /// <summary><c>{"channels":[</c></summary>
    public static ReadOnlySpan<byte> SpecStart => "{\"channels\":["u8;

    /// <summary><c>],"messages":[</c></summary>
    public static ReadOnlySpan<byte> SpecMiddle => "],\"messages\":["u8;

    /// <summary><c>]}</c></summary>
    public static ReadOnlySpan<byte> SpecEnd => "]}"u8;

    /// <summary>Bytes of one spec around its channel and messages (without the commas between messages).</summary>
    public static int SpecOverhead => SpecStart.Length + SpecMiddle.Length + SpecEnd.Length;

    /// <summary>Writes one message object.</summary>
    public static void WriteMessage(Utf8JsonWriter writer, OutboundMessage message)
    {
        writer.WriteStartObject();
        if (message.Id is not null)
        {
            writer.WriteString("id"u8, message.Id);
        }

        if (message.Name is not null)
        {
            writer.WriteString("name"u8, message.Name);
        }

        if (message.HasData)
        {
            if (message.TryGetUtf8Data(out var utf8))
            {
                WriteUtf8String(writer, "data"u8, utf8);
            }
            else
            {
                writer.WriteString("data"u8, message.Data);
            }

            if (message.DataIsJson)
            {
                writer.WriteString("encoding"u8, "json"u8);
            }
        }

        if (message.Headers is { Count: > 0 } headers)
        {
            writer.WritePropertyName("extras"u8);
            if (headers is MessageHeaders rendered)
            {
                writer.WriteRawValue(rendered.ExtrasJson, skipInputValidation: true);
            }
            else
            {
                WriteExtras(writer, headers);
            }
        }

        writer.WriteEndObject();
    }

    /// <summary>
    /// Writes <paramref name="value"/> as a JSON string, byte for byte as <see cref="Utf8JsonWriter.WriteString(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>
    /// with <see cref="WriterOptions"/> would. Printable ASCII (a connector's JSON data, almost always) needs only its quotes
    /// and backslashes escaped, which is done here in bulk; anything else goes through the writer's encoder.
    /// </summary>
    internal static void WriteUtf8String(Utf8JsonWriter writer, ReadOnlySpan<byte> propertyName, ReadOnlySpan<byte> value)
    {
        if (value.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E) >= 0)
        {
            writer.WriteString(propertyName, value);
            return;
        }

        var escapes = value.Count((byte)'"') + value.Count((byte)'\\');
        var length = value.Length + escapes + 2;
        byte[]? rented = null;
        var quoted = length <= 1024 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length)).AsSpan(0, length);
        var position = 0;
        quoted[position++] = (byte)'"';
        var rest = value;
        while (true)
        {
            var next = rest.IndexOfAny((byte)'"', (byte)'\\');
            if (next < 0)
            {
                rest.CopyTo(quoted.Slice(position));
                position += rest.Length;
                break;
            }

            rest.Slice(0, next).CopyTo(quoted.Slice(position));
            position += next;
            quoted[position++] = (byte)'\\';
            quoted[position++] = rest[next];
            rest = rest.Slice(next + 1);
        }

        quoted[position] = (byte)'"';
        writer.WritePropertyName(propertyName);
        writer.WriteRawValue(quoted, skipInputValidation: true);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Writes <c>{"headers":{…}}</c>.</summary>
    public static void WriteExtras(Utf8JsonWriter writer, IReadOnlyDictionary<string, string> headers)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("headers"u8);
        foreach (var header in headers)
        {
            writer.WriteString(header.Key, header.Value);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>Writes a JSON string literal (used for channel names).</summary>
    public static void WriteStringValue(Utf8JsonWriter writer, string value) => writer.WriteStringValue(value);
}

/// <summary>Ably's message size rule (TM6), as ably-js applies it before publishing.</summary>
internal static class AblyMessageSize
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>
    /// The size Ably counts for <paramref name="message"/>: length of the name + UTF-8 bytes of the data string +
    /// length of the JSON of <c>extras</c> (as this connector writes it). Compare it with
    /// <see cref="AblyOptions.MaxMessageSize"/> to dead-letter oversize messages before publishing.
    /// </summary>
    public static int Of(OutboundMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var size = (long)(message.Name?.Length ?? 0)
            + message.DataByteCount
            + ExtrasLength(message.Headers);
        return (int)Math.Min(size, int.MaxValue);
    }

    /// <summary>Length in characters of the <c>extras</c> JSON, 0 when there are no headers.</summary>
    internal static int ExtrasLength(IReadOnlyDictionary<string, string>? headers)
    {
        if (headers is not { Count: > 0 })
        {
            return 0;
        }

        if (headers is MessageHeaders rendered)
        {
            return rendered.ExtrasLength;
        }

        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer, AblyWireFormat.WriterOptions);
        writer.Reset(buffer);
        AblyWireFormat.WriteExtras(writer, headers);
        writer.Flush();
        var length = Encoding.UTF8.GetCharCount(buffer.WrittenSpan);
        if (buffer.Capacity > 64 * 1024)
        {
            // Do not pin a huge buffer to the thread after an unusual message.
            t_buffer = null;
            t_writer = null;
        }

        return length;
    }
}
