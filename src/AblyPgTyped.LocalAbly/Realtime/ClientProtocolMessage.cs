using System;
using System.Collections.Generic;
using System.Text.Json;

namespace AblyPgTyped.LocalAbly;

/// <summary>A ProtocolMessage a client sent (JSON protocol). Unknown fields are ignored, as ably-js adds its own.</summary>
internal sealed class ClientProtocolMessage
{
    public ProtocolAction Action { get; private init; }

    public string? Id { get; private init; }

    public string? Channel { get; private init; }

    public string? ChannelSerial { get; private init; }

    public long? MsgSerial { get; private init; }

    public long Flags { get; private init; }

    public Dictionary<string, string>? Params { get; private init; }

    /// <summary>The <c>messages</c> of a MESSAGE, parsed as a REST publish body is.</summary>
    public List<IncomingMessage>? Messages { get; private init; }

    /// <summary>Why <c>messages</c> could not be read (the publish is refused with a NACK carrying it).</summary>
    public AblyException? MessagesError { get; private init; }

    /// <summary>Parses one text frame; throws 40000 when it is not a ProtocolMessage.</summary>
    public static ClientProtocolMessage Parse(ReadOnlySpan<byte> utf8)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8.ToArray());
        }
        catch (JsonException ex)
        {
            throw Invalid("the frame is not JSON (" + ex.Message + ")");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Invalid("the frame is not a JSON object");
            }

            if (!root.TryGetProperty("action"u8, out var actionElement) || !actionElement.TryGetInt32(out var action))
            {
                throw Invalid("the frame has no numeric action");
            }

            List<IncomingMessage>? messages = null;
            AblyException? messagesError = null;
            if ((ProtocolAction)action == ProtocolAction.Message)
            {
                try
                {
                    messages = root.TryGetProperty("messages"u8, out var list)
                        ? IncomingMessage.ParseOneOrMany(list, "MESSAGE")
                        : new List<IncomingMessage>();
                }
                catch (AblyException ex)
                {
                    messagesError = ex;
                }
            }

            return new ClientProtocolMessage
            {
                Action = (ProtocolAction)action,
                Id = OptionalString(root, "id"u8),
                Channel = OptionalString(root, "channel"u8),
                ChannelSerial = OptionalString(root, "channelSerial"u8),
                MsgSerial = root.TryGetProperty("msgSerial"u8, out var serial) && serial.TryGetInt64(out var msgSerial) ? msgSerial : null,
                Flags = root.TryGetProperty("flags"u8, out var flags) && flags.TryGetInt64(out var value) ? value : 0,
                Params = ReadParams(root),
                Messages = messages,
                MessagesError = messagesError,
            };
        }
    }

    private static Dictionary<string, string>? ReadParams(JsonElement root)
    {
        if (!root.TryGetProperty("params"u8, out var element) || element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            result[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
        }

        return result;
    }

    private static string? OptionalString(JsonElement root, ReadOnlySpan<byte> name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static AblyException Invalid(string why) => new(400, AblyErrors.BadRequest, "Invalid ProtocolMessage: " + why);
}
