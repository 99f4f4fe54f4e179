using System;
using System.Buffers;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;

namespace AblyPgTyped.Publishing;

/// <summary>
/// An immutable set of <c>extras.headers</c> whose JSON is rendered once: a connector sends the same few header sets on
/// every message, so neither the wire form nor the size rule needs to render them again per message.
/// </summary>
internal sealed class MessageHeaders : IReadOnlyDictionary<string, string>
{
    private readonly Dictionary<string, string> _headers;

    public MessageHeaders(IEnumerable<KeyValuePair<string, string>> headers)
    {
        _headers = new Dictionary<string, string>(headers, StringComparer.Ordinal);
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer, AblyWireFormat.WriterOptions))
        {
            AblyWireFormat.WriteExtras(writer, _headers);
        }

        ExtrasJson = buffer.WrittenSpan.ToArray();
        ExtrasLength = Encoding.UTF8.GetCharCount(ExtrasJson);
    }

    /// <summary><c>{"headers":{…}}</c>, exactly as <see cref="AblyWireFormat.WriteExtras"/> writes it.</summary>
    public byte[] ExtrasJson { get; }

    /// <summary>The length Ably's size rule counts for <see cref="ExtrasJson"/>.</summary>
    public int ExtrasLength { get; }

    public int Count => _headers.Count;

    public IEnumerable<string> Keys => _headers.Keys;

    public IEnumerable<string> Values => _headers.Values;

    public string this[string key] => _headers[key];

    public bool ContainsKey(string key) => _headers.ContainsKey(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value) => _headers.TryGetValue(key, out value);

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => _headers.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
