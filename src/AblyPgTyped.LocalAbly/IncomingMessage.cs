using System;
using System.Buffers;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace AblyPgTyped.LocalAbly;

/// <summary>A message as parsed from a publish body: raw JSON values copied out, object data already normalised.</summary>
internal sealed class IncomingMessage
{
    public string? Id { get; init; }

    public string? Name { get; init; }

    public string? ClientId { get; init; }

    public string? Encoding { get; init; }

    /// <summary>Raw JSON of <c>data</c> (always a JSON string literal after normalisation), or null.</summary>
    public byte[]? Data { get; init; }

    /// <summary>Raw JSON of <c>extras</c> as received, or null.</summary>
    public byte[]? Extras { get; init; }

    /// <summary>Ably TM6 size.</summary>
    public int Size { get; init; }

    /// <summary>Parses a Message object or an array of them.</summary>
    public static List<IncomingMessage> ParseOneOrMany(JsonElement element, string where)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            return new List<IncomingMessage>(1) { Parse(element, where) };
        }

        if (element.ValueKind != JsonValueKind.Array)
        {
            throw Invalid(where + " must be a Message object or an array of Message objects");
        }

        var list = new List<IncomingMessage>(element.GetArrayLength());
        foreach (var item in element.EnumerateArray())
        {
            list.Add(Parse(item, where));
        }

        return list;
    }

    /// <summary>Parses one Message object; unknown fields (ably-js sends <c>action</c> and <c>size</c>) are ignored.</summary>
    public static IncomingMessage Parse(JsonElement element, string where)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(where + ": every message must be a JSON object");
        }

        string? id = null, name = null, clientId = null, encoding = null;
        JsonElement data = default, extras = default;
        foreach (var property in element.EnumerateObject())
        {
            if (property.NameEquals("id"u8))
            {
                id = OptionalString(property, where);
                if (id is { Length: 0 })
                {
                    throw AblyErrors.Error(400, AblyErrors.InvalidMessageId, "Client-specified message id cannot be empty");
                }
            }
            else if (property.NameEquals("name"u8))
            {
                name = OptionalString(property, where);
            }
            else if (property.NameEquals("clientId"u8))
            {
                clientId = OptionalString(property, where);
            }
            else if (property.NameEquals("encoding"u8))
            {
                encoding = OptionalString(property, where);
                if (encoding is { Length: 0 })
                {
                    encoding = null;
                }
            }
            else if (property.NameEquals("data"u8))
            {
                data = property.Value;
            }
            else if (property.NameEquals("extras"u8))
            {
                extras = property.Value;
            }
        }

        var size = (name?.Length ?? 0) + (clientId?.Length ?? 0);
        byte[]? dataBytes = null;
        switch (data.ValueKind)
        {
            case JsonValueKind.Undefined:
            case JsonValueKind.Null:
                break;
            case JsonValueKind.String:
                var raw = JsonMarshal.GetRawUtf8Value(data);
                dataBytes = raw.ToArray();
                // Without escapes the UTF-8 payload is the literal minus its quotes; ably-js counts UTF-8 bytes of string data.
                size += raw.IndexOf((byte)'\\') < 0 ? raw.Length - 2 : System.Text.Encoding.UTF8.GetByteCount(data.GetString()!);
                break;
            case JsonValueKind.Object:
            case JsonValueKind.Array:
                if (encoding is not null)
                {
                    throw AblyErrors.Error(400, AblyErrors.InvalidData, where + ": data must be a string when encoding is set (got a JSON " + data.ValueKind.ToString().ToLowerInvariant() + " with encoding \"" + encoding + "\")");
                }

                // Ably's JSON wire form for structured data is the stringified JSON plus encoding "json".
                (dataBytes, var jsonLength) = Stringify(data);
                encoding = "json";
                size += jsonLength;
                break;
            default:
                throw AblyErrors.Error(400, AblyErrors.InvalidData, where + ": unsupported data type " + data.ValueKind.ToString().ToLowerInvariant() + " (data must be a string, a JSON object or a JSON array)");
        }

        byte[]? extrasBytes = null;
        switch (extras.ValueKind)
        {
            case JsonValueKind.Undefined:
            case JsonValueKind.Null:
                break;
            case JsonValueKind.Object:
                var rawExtras = JsonMarshal.GetRawUtf8Value(extras);
                extrasBytes = rawExtras.ToArray();
                size += System.Text.Encoding.UTF8.GetCharCount(rawExtras);
                break;
            default:
                throw Invalid(where + ": extras must be a JSON object");
        }

        return new IncomingMessage
        {
            Id = id,
            Name = name,
            ClientId = clientId,
            Encoding = encoding,
            Data = dataBytes,
            Extras = extrasBytes,
            Size = size,
        };
    }

    /// <summary>Sum of TM6 sizes.</summary>
    public static long TotalSize(List<IncomingMessage> messages)
    {
        long total = 0;
        foreach (var message in messages)
        {
            total += message.Size;
        }

        return total;
    }

    /// <summary>
    /// Turns raw JSON into a compact JSON string literal in one pass (drops insignificant whitespace, escapes quotes
    /// and backslashes). Hand-written because it runs per message on the batch hot path.
    /// </summary>
    private static (byte[] Literal, int JsonLength) Stringify(JsonElement value)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value);
        var rented = ArrayPool<byte>.Shared.Rent((raw.Length * 2) + 2);
        try
        {
            var written = 0;
            var jsonLength = 0;
            var inString = false;
            var escaped = false;
            rented[written++] = (byte)'"';
            foreach (var b in raw)
            {
                if (!inString && b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
                {
                    continue;
                }

                if (inString)
                {
                    if (escaped)
                    {
                        escaped = false;
                    }
                    else if (b == (byte)'\\')
                    {
                        escaped = true;
                    }
                    else if (b == (byte)'"')
                    {
                        inString = false;
                    }
                }
                else if (b == (byte)'"')
                {
                    inString = true;
                }

                jsonLength++;
                if (b is (byte)'"' or (byte)'\\')
                {
                    rented[written++] = (byte)'\\';
                }

                rented[written++] = b;
            }

            rented[written++] = (byte)'"';
            return (rented.AsSpan(0, written).ToArray(), jsonLength);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static string? OptionalString(JsonProperty property, string where) => property.Value.ValueKind switch
    {
        JsonValueKind.String => property.Value.GetString(),
        JsonValueKind.Null => null,
        _ => throw Invalid(where + ": field \"" + property.Name + "\" must be a string"),
    };

    private static AblyException Invalid(string message) => AblyErrors.Error(400, AblyErrors.InvalidBody, "Invalid message: " + message);

    /// <summary>Debug aid.</summary>
    public override string ToString() => new StringBuilder().Append(Id).Append(' ').Append(Name).ToString();
}
