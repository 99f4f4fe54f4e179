using System;
using System.Buffers;
using System.Collections.Generic;
using System.Text.Json;
using AblyPgTyped.Capture;
using AblyPgTyped.Publishing;
using AblyPgTyped.Serialization;

namespace AblyPgTyped.Draining;

/// <summary>
/// Turns changes into Ably messages: the id (from the durable position only, so a re-send after a crash carries the
/// same id), the name, the headers, and the data — one change, or a bundle <c>{"changes":[…]}</c> of consecutive
/// changes of one channel. Not thread-safe: each thread that builds messages has its own.
/// </summary>
internal sealed class MessageBuilder(string installId, bool compatibleMessages)
{
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly Dictionary<(ChangeMapping, ChangeKind?), MessageHeaders> _headers = [];
    private Utf8JsonWriter? _writer;

    private static ReadOnlySpan<byte> BundleStart => "{\"changes\":["u8;

    private static ReadOnlySpan<byte> BundleEnd => "]}"u8;

    /// <summary>The change as a message of its own.</summary>
    public OutboundMessage Single(DecodedChange change)
    {
        var name = compatibleMessages ? ChangeMessage.CompatibleName : ChangeMessage.NameOf(change.Kind);
        _buffer.ResetWrittenCount();
        var writer = _writer ??= new Utf8JsonWriter(_buffer, JsonRow.WriterOptions);
        writer.Reset(_buffer);
        if (compatibleMessages)
        {
            change.WriteCompatibleData(writer);
        }
        else
        {
            change.WriteData(writer);
        }

        writer.Flush();
        return new OutboundMessage(MessageId(change.Position, change.Position, change.Moved), name, _buffer.WrittenSpan.ToArray(), Headers(change.Mapping, change.Kind))
        {
            // The original published its JSON as text: subscribers receive a string, as before.
            DataIsJson = !compatibleMessages,
        };
    }

    /// <summary>
    /// What a bundle starting with <paramref name="first"/> adds, by Ably's size rule, to its changes' data joined by
    /// commas: its name, <c>{"changes":[]}</c>, and at most the first change's headers.
    /// </summary>
    public static int BundleOverhead(PendingChange first) =>
        ChangeMessage.BundleName.Length + BundleStart.Length + BundleEnd.Length + AblyMessageSize.ExtrasLength(first.Message.Headers);

    /// <summary>One message carrying <paramref name="count"/> consecutive changes (the change's own message when one).</summary>
    public OutboundMessage Bundle(IReadOnlyList<PendingChange> changes, int start, int count)
    {
        if (count == 1)
        {
            return changes[start].Message;
        }

        _buffer.ResetWrittenCount();
        Append(BundleStart);
        for (var i = start; i < start + count; i++)
        {
            if (i > start)
            {
                Append(","u8);
            }

            changes[i].Message.TryGetUtf8Data(out var data);
            Append(data);
        }

        Append(BundleEnd);
        return new OutboundMessage(
            MessageId(changes[start].Change.Position, changes[start + count - 1].Change.Position, changes[start].Change.Moved), ChangeMessage.BundleName, _buffer.WrittenSpan.ToArray(), BundleHeaders(changes, start, count));
    }

    /// <summary>
    /// Derived from the durable positions only, so a re-send after a crash carries the same id: a bundle's names the
    /// first and the last change it carries, so a bundle cut differently after a crash never shares an id with one
    /// that carried other changes (which Ably would drop as a duplicate). The departure of an update that moved its row
    /// shares the update's position, so its id (and that of a bundle it starts) ends in <c>-moved</c>.
    /// </summary>
    private string MessageId(ChangePosition first, ChangePosition last, bool moved)
    {
        var id = first == last
            ? $"{installId}-{first.CaptureId}-{first.Index}"
            : $"{installId}-{first.CaptureId}-{first.Index}-{last.CaptureId}-{last.Index}";
        return moved ? id + "-moved" : id;
    }

    private MessageHeaders BundleHeaders(IReadOnlyList<PendingChange> changes, int start, int count)
    {
        var first = changes[start].Change;
        for (var i = start + 1; i < start + count; i++)
        {
            if (changes[i].Change.Kind != first.Kind)
            {
                return Headers(first.Mapping, null);
            }
        }

        return Headers(first.Mapping, first.Kind);
    }

    private MessageHeaders Headers(ChangeMapping mapping, ChangeKind? kind)
    {
        if (!_headers.TryGetValue((mapping, kind), out var headers))
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal) { ["schema"] = mapping.Schema, ["table"] = mapping.TableName };
            if (kind is { } k)
            {
                values["operation"] = ChangeMessage.NameOf(k);
            }

            _headers[(mapping, kind)] = headers = new MessageHeaders(values);
        }

        return headers;
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_buffer.GetSpan(bytes.Length));
        _buffer.Advance(bytes.Length);
    }
}
