using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;

namespace AblyPgTyped.LocalAbly;

/// <summary>One <c>BatchSpec</c> of a batch publish: channels and the messages sent to each of them.</summary>
internal sealed class BatchSpec
{
    private BatchSpec(string[] channels, List<IncomingMessage> messages)
    {
        Channels = channels;
        Messages = messages;
    }

    public string[] Channels { get; }

    public List<IncomingMessage> Messages { get; }

    /// <summary>Parses one BatchSpec or an array of them, enforcing the per-spec channel and message limits.</summary>
    public static List<BatchSpec> ParseOneOrMany(JsonElement root, LocalAblyOptions options)
    {
        if (root.ValueKind == JsonValueKind.Object)
        {
            return new List<BatchSpec>(1) { Parse(root, 0, options) };
        }

        if (root.ValueKind != JsonValueKind.Array)
        {
            throw Invalid("the body must be a BatchSpec object or an array of them");
        }

        var count = root.GetArrayLength();
        if (count == 0)
        {
            throw Invalid("the body is an empty array: expected at least one BatchSpec");
        }

        var specs = new List<BatchSpec>(count);
        var index = 0;
        foreach (var item in root.EnumerateArray())
        {
            specs.Add(Parse(item, index++, options));
        }

        return specs;
    }

    private static BatchSpec Parse(JsonElement element, int index, LocalAblyOptions options)
    {
        var where = "batch spec " + index.ToString(CultureInfo.InvariantCulture);
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(where + " must be an object {channels, messages}");
        }

        if (!element.TryGetProperty("channels"u8, out var channelsElement))
        {
            throw Invalid(where + " has no \"channels\"");
        }

        string[] channels;
        if (channelsElement.ValueKind == JsonValueKind.String)
        {
            channels = new[] { channelsElement.GetString()! };
        }
        else if (channelsElement.ValueKind == JsonValueKind.Array)
        {
            var count = channelsElement.GetArrayLength();
            if (count == 0)
            {
                throw Invalid(where + ": \"channels\" is empty");
            }

            if (count > options.MaxBatchChannels)
            {
                throw new AblyException(400, AblyErrors.InvalidParameter, where + " names " + count + " channels; at most " + options.MaxBatchChannels + " channels are allowed per spec");
            }

            channels = new string[count];
            var i = 0;
            foreach (var channel in channelsElement.EnumerateArray())
            {
                if (channel.ValueKind != JsonValueKind.String)
                {
                    throw Invalid(where + ": every entry of \"channels\" must be a string");
                }

                channels[i++] = channel.GetString()!;
            }
        }
        else
        {
            throw Invalid(where + ": \"channels\" must be a string or an array of strings");
        }

        if (!element.TryGetProperty("messages"u8, out var messagesElement))
        {
            throw Invalid(where + " has no \"messages\"");
        }

        if (messagesElement.ValueKind == JsonValueKind.Array)
        {
            var count = messagesElement.GetArrayLength();
            if (count == 0)
            {
                throw Invalid(where + ": \"messages\" is empty");
            }

            if (count > options.MaxBatchMessages)
            {
                throw new AblyException(400, AblyErrors.TooManyMessages, where + " has " + count + " messages; at most " + options.MaxBatchMessages + " messages are allowed per spec");
            }
        }

        var messages = IncomingMessage.ParseOneOrMany(messagesElement, where);
        return new BatchSpec(channels, messages);
    }

    private static AblyException Invalid(string message) => new(400, AblyErrors.InvalidBody, "Invalid batch publish body: " + message);
}
