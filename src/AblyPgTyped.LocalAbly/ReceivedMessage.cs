using System;
using System.Text;
using System.Text.Json;

namespace AblyPgTyped.LocalAbly;

/// <summary>How a message reached the server.</summary>
public enum PublishKind
{
    /// <summary><c>POST /channels/{name}/messages</c>.</summary>
    Channel,

    /// <summary><c>POST /messages</c> (batch publish).</summary>
    Batch,

    /// <summary>A MESSAGE sent over a realtime (WebSocket) connection.</summary>
    Realtime,
}

/// <summary>
/// A message the server accepted (duplicates dropped by idempotency are not recorded), with the server-assigned
/// fields and the moment it was accepted. Immutable and safe to share between threads.
/// </summary>
public sealed class ReceivedMessage
{
    private readonly byte[]? _data;
    private readonly byte[]? _extras;

    internal ReceivedMessage(
        string channel,
        string id,
        string? name,
        string? clientId,
        string? encoding,
        byte[]? data,
        byte[]? extras,
        int size,
        PublishKind kind,
        long channelSequence,
        long globalSequence,
        string serial,
        DateTimeOffset receivedAt,
        long receivedAtStopwatchTimestamp,
        string? connectionId = null)
    {
        ConnectionId = connectionId;
        Channel = channel;
        Id = id;
        Name = name;
        ClientId = clientId;
        Encoding = encoding;
        _data = data;
        _extras = extras;
        Size = size;
        Kind = kind;
        ChannelSequence = channelSequence;
        GlobalSequence = globalSequence;
        Serial = serial;
        ReceivedAt = receivedAt;
        ReceivedAtUnixMs = receivedAt.ToUnixTimeMilliseconds();
        ReceivedAtStopwatchTimestamp = receivedAtStopwatchTimestamp;
    }

    /// <summary>Channel name (decoded).</summary>
    public string Channel { get; }

    /// <summary>Message id: the publisher's, or <c>&lt;random&gt;:&lt;index&gt;</c> assigned by the server.</summary>
    public string Id { get; }

    /// <summary>Event name, if any.</summary>
    public string? Name { get; }

    /// <summary>Client id, if any.</summary>
    public string? ClientId { get; }

    /// <summary>Encoding, e.g. <c>json</c> or <c>base64</c>. Object data sent without encoding is stored stringified with <c>json</c>.</summary>
    public string? Encoding { get; }

    /// <summary>Ably TM6 size of the message (name + clientId + extras JSON + data bytes).</summary>
    public int Size { get; }

    /// <summary>The realtime connection that published the message, or null for REST publishes.</summary>
    public string? ConnectionId { get; }

    /// <summary>Which endpoint received the message.</summary>
    public PublishKind Kind { get; }

    /// <summary>1-based position of the message on its channel since the server started (or was reset).</summary>
    public long ChannelSequence { get; }

    /// <summary>1-based position of the message across all channels; increases with acceptance order within a channel.</summary>
    public long GlobalSequence { get; }

    /// <summary>Server-assigned serial, sortable within the channel.</summary>
    public string Serial { get; }

    /// <summary>Server <c>timestamp</c> field in milliseconds since the Unix epoch (equal to <see cref="ReceivedAtUnixMs"/>).</summary>
    public long Timestamp => ReceivedAtUnixMs;

    /// <summary>Wall-clock UTC time at which the message was accepted (<see cref="DateTimeOffset.UtcNow"/>, taken once per request).</summary>
    public DateTimeOffset ReceivedAt { get; }

    /// <summary><see cref="ReceivedAt"/> in milliseconds since the Unix epoch.</summary>
    public long ReceivedAtUnixMs { get; }

    /// <summary><see cref="System.Diagnostics.Stopwatch.GetTimestamp"/> read at the same moment as <see cref="ReceivedAt"/>, for precise in-process latency.</summary>
    public long ReceivedAtStopwatchTimestamp { get; }

    /// <summary>The <c>data</c> value as raw JSON text, exactly as stored (a JSON string literal, including quotes), or null when absent.</summary>
    public string? DataJson => _data is null ? null : System.Text.Encoding.UTF8.GetString(_data);

    /// <summary>The <c>extras</c> object as raw JSON text, or null when absent.</summary>
    public string? ExtrasJson => _extras is null ? null : System.Text.Encoding.UTF8.GetString(_extras);

    /// <summary>The <c>data</c> string value (unescaped), or null when there is no data.</summary>
    public string? DataString
    {
        get
        {
            if (_data is null)
            {
                return null;
            }

            var reader = new Utf8JsonReader(_data);
            reader.Read();
            return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        }
    }

    /// <summary>
    /// Parses the payload as JSON: for <c>encoding: "json"</c> the stringified document inside <c>data</c>,
    /// otherwise the <c>data</c> value itself. Returns null when there is no data.
    /// </summary>
    public JsonElement? DecodeDataAsJson()
    {
        if (_data is null)
        {
            return null;
        }

        var json = string.Equals(Encoding, "json", StringComparison.Ordinal) ? DataString ?? "null" : DataJson!;
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    internal ReadOnlySpan<byte> RawData => _data;

    internal ReadOnlySpan<byte> RawExtras => _extras;

    internal bool HasData => _data is not null;

    internal bool HasExtras => _extras is not null;

    /// <summary>Writes the message in Ably's JSON wire form (as history returns it); <paramref name="includeChannel"/> adds <c>channel</c> as SSE does.</summary>
    internal void WriteJson(Utf8JsonWriter writer, bool includeChannel)
    {
        writer.WriteStartObject();
        writer.WriteString("id"u8, Id);
        if (includeChannel)
        {
            writer.WriteString("channel"u8, Channel);
        }

        if (Name is not null)
        {
            writer.WriteString("name"u8, Name);
        }

        if (ClientId is not null)
        {
            writer.WriteString("clientId"u8, ClientId);
        }

        if (ConnectionId is not null)
        {
            writer.WriteString("connectionId"u8, ConnectionId);
        }

        if (_data is not null)
        {
            writer.WritePropertyName("data"u8);
            writer.WriteRawValue(_data, skipInputValidation: true);
        }

        if (Encoding is not null)
        {
            writer.WriteString("encoding"u8, Encoding);
        }

        if (_extras is not null)
        {
            writer.WritePropertyName("extras"u8);
            writer.WriteRawValue(_extras, skipInputValidation: true);
        }

        writer.WriteNumber("timestamp"u8, ReceivedAtUnixMs);
        writer.WriteString("serial"u8, Serial);
        writer.WriteNumber("action"u8, 0);
        writer.WriteEndObject();
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var builder = new StringBuilder();
        builder.Append(Channel).Append(" #").Append(ChannelSequence).Append(" id=").Append(Id);
        if (Name is not null)
        {
            builder.Append(" name=").Append(Name);
        }

        if (_data is not null)
        {
            builder.Append(" data=").Append(DataJson);
        }

        return builder.ToString();
    }
}
