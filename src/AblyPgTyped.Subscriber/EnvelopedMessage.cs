using System;
using System.Text;
using System.Text.Json;

namespace AblyPgTyped;

/// <summary>
/// An Ably message as the SSE endpoint sends it (enveloped): <c>{"id","name","channel","data","encoding","extras"}</c>,
/// with <c>data</c> decoded by its <c>encoding</c> (<c>json</c>, <c>utf-8</c>, <c>base64</c>) to the JSON text of a change.
/// </summary>
internal sealed record EnvelopedMessage(string Channel, string? Id, string? Name, byte[] Data, string? Schema, string? Table)
{
    /// <exception cref="JsonException">The event is not an Ably message with data.</exception>
    public static EnvelopedMessage Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("channel", out var channel) || channel.ValueKind != JsonValueKind.String)
        {
            throw new JsonException("The event is not an enveloped Ably message (no channel).");
        }

        if (!root.TryGetProperty("data", out var data))
        {
            throw new JsonException("The message has no data.");
        }

        string? schema = null, table = null;
        if (root.TryGetProperty("extras", out var extras) && extras.ValueKind == JsonValueKind.Object
            && extras.TryGetProperty("headers", out var headers) && headers.ValueKind == JsonValueKind.Object)
        {
            schema = headers.TryGetProperty("schema", out var s) ? s.GetString() : null;
            table = headers.TryGetProperty("table", out var t) ? t.GetString() : null;
        }

        return new EnvelopedMessage(
            channel.GetString()!,
            root.TryGetProperty("id", out var id) ? id.GetString() : null,
            root.TryGetProperty("name", out var name) ? name.GetString() : null,
            Decode(data, root.TryGetProperty("encoding", out var encoding) ? encoding.GetString() : null),
            schema,
            table);
    }

    /// <summary>Undoes the encodings, last applied first; <c>json</c> and <c>utf-8</c> leave the text as it is.</summary>
    private static byte[] Decode(JsonElement data, string? encoding)
    {
        if (data.ValueKind != JsonValueKind.String)
        {
            return Encoding.UTF8.GetBytes(data.GetRawText());
        }

        var text = data.GetString()!;
        var steps = string.IsNullOrEmpty(encoding) ? [] : encoding.Split('/');
        return steps.Length > 0 && steps[^1] == "base64" ? Convert.FromBase64String(text) : Encoding.UTF8.GetBytes(text);
    }
}
