using System;
using System.Collections.Generic;
using System.Text;

namespace AblyPgTyped.Publishing;

/// <summary>
/// One message to publish. <paramref name="Data"/> is JSON text sent as an Ably string with <c>"encoding":"json"</c>
/// (the way Ably SDKs send object data); <paramref name="Headers"/>, when not empty, go to <c>extras.headers</c>.
/// <paramref name="Id"/> is the idempotency key: Ably's batch publish de-duplicates each id on its own, so a retry
/// (same ids) never delivers a message twice.
/// </summary>
/// <param name="Id">Client-chosen message id, stable across retries.</param>
/// <param name="Name">Message name (event name).</param>
/// <param name="Data">Payload as JSON text.</param>
/// <param name="Headers">Optional <c>extras.headers</c>.</param>
internal sealed record OutboundMessage(string Id, string Name, string Data, IReadOnlyDictionary<string, string>? Headers)
{
    private string? _data = Data;
    private ReadOnlyMemory<byte> _utf8Data;
    private bool _isUtf8;

    /// <summary>
    /// A message whose data is already UTF-8 JSON, as the connector renders it: it is written to the wire and measured
    /// without ever becoming a string.
    /// </summary>
    public OutboundMessage(string id, string name, ReadOnlyMemory<byte> utf8Data, IReadOnlyDictionary<string, string>? headers)
        : this(id, name, (string)null!, headers)
    {
        _utf8Data = utf8Data;
        _isUtf8 = true;
    }

    /// <summary>Payload as JSON text (decoded on first use when the message was built from UTF-8).</summary>
    public string Data
    {
        get => _data ??= _isUtf8 ? Encoding.UTF8.GetString(_utf8Data.Span) : null!;
        init
        {
            _data = value;
            _utf8Data = default;
            _isUtf8 = false;
        }
    }

    /// <summary>
    /// True (the default): <see cref="Data"/> is JSON text, sent with <c>"encoding":"json"</c> so subscribers get the
    /// decoded value. False: <see cref="Data"/> is sent as a plain string (no encoding), so subscribers get the text itself.
    /// The size by Ably's rule is the same either way.
    /// </summary>
    public bool DataIsJson { get; init; } = true;

    /// <summary>The data as UTF-8, when the message was built from UTF-8.</summary>
    internal bool TryGetUtf8Data(out ReadOnlySpan<byte> utf8)
    {
        utf8 = _utf8Data.Span;
        return _isUtf8;
    }

    /// <summary>UTF-8 bytes of the data: what Ably's size rule counts. 0 without data.</summary>
    internal int DataByteCount => _isUtf8 ? _utf8Data.Length : _data is null ? 0 : Encoding.UTF8.GetByteCount(_data);

    /// <summary>The data's length without measuring it: bytes when built from UTF-8, otherwise characters.</summary>
    internal int DataLengthEstimate => _isUtf8 ? _utf8Data.Length : _data?.Length ?? 0;

    /// <summary>Whether the message has data at all.</summary>
    internal bool HasData => _isUtf8 || _data is not null;
}

/// <summary>Messages for one channel, in the order they must reach Ably.</summary>
/// <param name="Channel">Channel name.</param>
/// <param name="Messages">The messages, oldest first.</param>
internal sealed record ChannelBatch(string Channel, IReadOnlyList<OutboundMessage> Messages);
