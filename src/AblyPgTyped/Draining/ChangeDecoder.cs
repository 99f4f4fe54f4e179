using System;
using System.Collections.Generic;
using System.Text;
using System.Text.Json;
using AblyPgTyped.Capture;
using AblyPgTyped.Mapping;
using AblyPgTyped.Publishing;

namespace AblyPgTyped.Draining;

/// <summary>
/// Turns a captured row into pending changes, each routed to its channel and rendered as a message. A change that
/// cannot be decoded, routed or rendered is dead-lettered alone with its reason; the rest of the row goes on.
/// </summary>
internal sealed class ChangeDecoder(
    IReadOnlyDictionary<(string Schema, string Table), ChangeMapping> mappings, MessageBuilder builder, int maxMessageSize, CaptureMode capture)
{
    /// <summary>Splitting a row into its changes only skips over values, so it may go deeper than a mapping reads.</summary>
    private static readonly JsonReaderOptions SplitOptions = new() { MaxDepth = 4096 };

    private readonly Dictionary<string, string?> _channelProblems = new(StringComparer.Ordinal);

    /// <summary>Decodes <paramref name="row"/>: its publishable changes in position order, and its dead letters.</summary>
    public void Decode(CapturedRow row, HeldRow held, List<PendingChange> changes, List<DeadLetter> deadLetters)
    {
        mappings.TryGetValue((row.Schema, row.Table), out var mapping);
        List<CapturedJson> elements;
        try
        {
            elements = Split(row.Data);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // The row's JSON cannot even be split into changes: all of it is one dead letter.
            deadLetters.Add(new DeadLetter(row.PositionOf(0), row.Schema, row.Table, row.Op, null,
                $"the captured row ({row.Count} change(s)) is not a readable JSON array: {e.Message}", Encoding.UTF8.GetString(row.Data), DeadLetterCause.UnreadableRow));
            return;
        }

        for (var index = 0; index < elements.Count; index++)
        {
            var captured = elements[index];
            if (captured.Span.SequenceEqual("null"u8))
            {
                continue; // finished before a restart, while others of the row were still on their way
            }

            var position = row.PositionOf(index);
            if (mapping is null)
            {
                deadLetters.Add(new DeadLetter(position, row.Schema, row.Table, row.Op, null,
                    "no mapping for this table is configured any more", captured.ToString(), DeadLetterCause.UnmappedTable));
                continue;
            }

            DecodedChange change;
            OutboundMessage message;
            try
            {
                change = mapping.Decode(captured.Span, row.Kind, position, row.CapturedAt);
                if (change.Channel is null)
                {
                    continue; // captured under an earlier configuration that published this kind of change
                }

                message = builder.Single(change);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A note in a row's place fails decoding like any non-object; it is looked for only then.
                var note = CaptureNote(captured.Span);
                deadLetters.Add(new DeadLetter(position, row.Schema, row.Table, row.Op, null,
                    note is not null ? "not captured: " + note : "the captured row does not fit the mapping: " + e.Message,
                    captured.ToString(), note is not null ? DeadLetterCause.NotCaptured : DeadLetterCause.MappingMismatch));
                continue;
            }

            if (ChannelProblem(change.Channel) is { } problem)
            {
                deadLetters.Add(new DeadLetter(position, row.Schema, row.Table, row.Op, change.Channel,
                    $"the resolved channel '{change.Channel}' is not valid: {problem}", captured.ToString(), DeadLetterCause.InvalidChannel));
                continue;
            }

            var size = AblyMessageSize.Of(message);
            if (size > maxMessageSize)
            {
                deadLetters.Add(new DeadLetter(position, row.Schema, row.Table, row.Op, change.Channel,
                    $"the message is {size} bytes; the maximum message size is {maxMessageSize}", captured.ToString(), DeadLetterCause.TooLarge));
                continue;
            }

            if (Departure(change) is { } departure)
            {
                var parts = new ChangeParts();
                changes.Add(new PendingChange(Held(change), captured, message, size, held) { Parts = parts });
                changes.Add(new PendingChange(Held(departure.Change), captured, departure.Message, departure.Size, held) { Parts = parts });
            }
            else
            {
                changes.Add(new PendingChange(Held(change), captured, message, size, held));
            }
        }
    }

    /// <summary>What is held of a rendered change until Ably accepts it: its rows only when handlers will read them.</summary>
    private static DecodedChange Held(DecodedChange change) => change.HasHandlers ? change : new RenderedChange(change);

    /// <summary>
    /// The departure of an update that moved its row to another channel, rendered; null when there is none, when the old
    /// row cannot tell (logical replication with key-only identity logs the old key alone, and nothing when the key did
    /// not change: a channel naming other properties needs <see cref="ReplicaIdentity.Full"/>), when the old channel
    /// does not resolve or is not a valid name (nothing of the row was ever published there), or when the message would
    /// be too large.
    /// </summary>
    private (DecodedChange Change, OutboundMessage Message, int Size)? Departure(DecodedChange change)
    {
        var mapping = change.Mapping;
        if (change.Kind != ChangeKind.Update
            || (capture == CaptureMode.LogicalReplication && mapping.ReplicaIdentity != ReplicaIdentity.Full && !mapping.UpdateChannelNamesKeysOnly))
        {
            return null;
        }

        DecodedChange? departure;
        try
        {
            departure = change.Departure();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return null;
        }

        if (departure is not { Channel: { } channel } || ChannelProblem(channel) is not null)
        {
            return null;
        }

        var message = builder.Single(departure);
        var size = AblyMessageSize.Of(message);
        return size <= maxMessageSize ? (departure, message, size) : null;
    }

    /// <summary>
    /// The note a capture trigger recorded in place of a row it could not read (a JSON string, where a row is an
    /// object; for an update, either half of the pair), or null for a captured row.
    /// </summary>
    private static string? CaptureNote(ReadOnlySpan<byte> element)
    {
        try
        {
            var reader = new Utf8JsonReader(element, SplitOptions);
            if (!reader.Read() || reader.TokenType is not (JsonTokenType.String or JsonTokenType.StartArray))
            {
                return null;
            }

            if (reader.TokenType == JsonTokenType.String)
            {
                return reader.GetString();
            }

            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType == JsonTokenType.String)
                {
                    return reader.GetString();
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    public static char OpOf(ChangeKind kind) => kind switch { ChangeKind.Insert => 'I', ChangeKind.Update => 'U', ChangeKind.Snapshot => 'S', _ => 'D' };

    private static List<CapturedJson> Split(byte[] data)
    {
        var elements = new List<CapturedJson>();
        var reader = new Utf8JsonReader(data, SplitOptions);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("expected an array, found " + reader.TokenType);
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var from = (int)reader.TokenStartIndex;
            reader.Skip();
            elements.Add(new CapturedJson(data, from, (int)reader.BytesConsumed - from));
        }

        return elements;
    }

    /// <summary>A channel name is judged once: most channels repeat.</summary>
    private string? ChannelProblem(string channel)
    {
        if (!_channelProblems.TryGetValue(channel, out var problem))
        {
            problem = ChannelNameRules.Problem(channel);
            if (_channelProblems.Count < 100_000)
            {
                _channelProblems[channel] = problem;
            }
        }

        return problem;
    }
}
