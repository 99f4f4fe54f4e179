using System;
using System.Collections.Generic;
using AblyPgTyped.Publishing;
using Microsoft.Extensions.Logging;

namespace AblyPgTyped.Draining;

/// <summary>
/// Cuts a lane's waiting changes into the messages of its next chunk: afresh (one message per change while the
/// channel keeps up, bundles when it does not), or, after a restart, as a chunk recorded in the <see cref="CutJournal"/>
/// was cut, so that Ably de-duplicates what it accepted before. Used under <see cref="PublishScheduler"/>'s lock.
/// </summary>
internal sealed class LaneCutter(ConnectorOptions options, CutJournal? journal, DrainProgress progress, MessageBuilder builder, ILogger logger) : ILaneChunks
{
    /// <summary>Most unread ranges a cut records; with more (many writers' transactions open at once) it is not settled.</summary>
    private const int MaxUnreadPerCut = 32;

    /// <summary>How long a lane waits for the rest of a chunk recorded before a restart to be read, before it cuts afresh.</summary>
    private static readonly TimeSpan RestorePatience = TimeSpan.FromSeconds(2);

    private readonly CutJournal? _journal = journal;
    private readonly DrainProgress _progress = progress;
    private readonly MessageBuilder _builder = builder;
    private readonly ILogger _logger = logger;
    private readonly bool _bundling = options.Bundles;
    private readonly int _maxChangesPerMessage = options.MaxChangesPerMessage;
    private readonly long _maxMessageSize = options.Ably.Limits.MaxMessageSize;

    /// <summary>The source's unread store ids as of the last read handed out (<see cref="Capture.ICaptureSource.Unread"/>).</summary>
    public (long Low, long High)[] Unread { get; set; } = [];

    public bool Prepare(ChannelLane lane, long now, ref long wake) =>
        _journal is not { HasReplays: true } || lane.Retained is not null || (Restore(lane, now, ref wake) && lane.Count > 0);

    /// <summary>
    /// The lane's next messages, at most <paramref name="maxMessages"/>: one per change while that keeps up, else
    /// bundles of consecutive changes of one table, so the waiting changes fit the messages the channel may send.
    /// All of one channel's messages in one request stay within the message size limit, as Ably counts it.
    /// </summary>
    public LaneChunk Cut(ChannelLane lane, int maxMessages)
    {
        if (_journal is { HasReplays: true })
        {
            // After a restart a lane cuts afresh only past its recorded chunks, or when one could not go as it was.
            _journal.ForgetChannel(lane.Channel);
        }

        var waiting = lane.Waiting;
        var perMessage = 1;
        if (_bundling && waiting.Count > maxMessages)
        {
            perMessage = Math.Min(Math.Min(_maxChangesPerMessage, lane.MaxBundle), (waiting.Count + maxMessages - 1) / maxMessages);
        }

        var limit = _maxMessageSize;
        var built = new List<Publishing.OutboundMessage>();
        var counts = _journal is null ? null : new List<int>();
        long total = 0;
        var next = 0;
        var bundles = 0;
        while (next < waiting.Count && built.Count < maxMessages)
        {
            var first = waiting[next];
            long size = first.Size;
            if (built.Count > 0 && total + size > limit)
            {
                break;
            }

            // A bundle's size is bounded from above by the single message's overhead with the joined data.
            var count = 1;
            long data = first.Message.DataByteCount;
            var overhead = MessageBuilder.BundleOverhead(first);
            while (count < perMessage && next + count < waiting.Count && waiting[next + count].Change.Mapping == first.Change.Mapping)
            {
                var grown = overhead + data + 1 + waiting[next + count].Message.DataByteCount;
                if (total + grown > limit)
                {
                    break;
                }

                data += 1 + waiting[next + count].Message.DataByteCount;
                size = grown;
                count++;
            }

            built.Add(_builder.Bundle(waiting, next, count));
            counts?.Add(count);
            bundles += count > 1 ? 1 : 0;
            total += count == 1 ? first.Size : size;
            next += count;
        }

        lane.InChunk = next;
        return new LaneChunk(lane, next, built.Count, Spec(lane.Channel, built), bundles)
        {
            Cut = counts is null ? null : new ChunkCut(lane.Channel, waiting[0].Change.Position, waiting[0].Change.Moved, waiting[next - 1].Change.Position, [.. counts])
            {
                Unread = UnreadUpTo(waiting[next - 1].Change.Position.CaptureId),
            },
        };
    }

    /// <summary>The source's unread store ids up to <paramref name="last"/>; null (not known) when there are too many to record.</summary>
    private (long Low, long High)[]? UnreadUpTo(long last)
    {
        var unread = Unread;
        var below = 0;
        foreach (var range in unread)
        {
            below += range.Low <= last ? 1 : 0;
        }

        if (below > MaxUnreadPerCut)
        {
            return null;
        }

        return below == unread.Length ? unread : Array.FindAll(unread, r => r.Low <= last);
    }

    /// <summary>
    /// Takes up a chunk recorded before a restart (<see cref="CutJournal"/>) that holds the lane's next change. Changes
    /// in its range that came late (<see cref="ChunkCut.Unread"/>) were not in it: they wait behind it, as they did. If
    /// the chunk starts at the lane's next change, its messages go again cut as they were (as the lane's retained
    /// chunk, byte for byte), and Ably de-duplicates those it accepted: all of them once all its changes are read, else
    /// those whose changes are, the rest later. A settled chunk some of whose changes are done was accepted whole (a
    /// channel's chunk is accepted or refused as one), and the rest of it is done too. False while not even its first
    /// message's changes are read. A chunk that no longer matches is cut afresh: a bundle's id names its first and
    /// last change, so it never takes the old one's id.
    /// </summary>
    private bool Restore(ChannelLane lane, long now, ref long wake)
    {
        while (lane.Count > 0 && _journal!.Next(lane.Channel, lane[0]) is { } cut)
        {
            var waiting = lane.Waiting;
            var allRead = waiting[lane.Count - 1].Change.Position.CompareTo(cut.Last) >= 0;
            var reach = 0;
            while (reach < lane.Count && waiting[reach].Change.Position.CompareTo(cut.Last) <= 0)
            {
                reach++;
            }

            var held = cut.Unread is { Length: > 0 } ? lane.PutLateBehind(reach, cut) : reach;
            if (held == 0)
            {
                if (allRead)
                {
                    _journal.Forget(cut); // none of its changes wait: all done
                    continue;
                }

                // Only changes that came late wait so far; they go behind the chunk's, which may still be read.
                if (!WaitToRestore(lane, now, ref wake))
                {
                    return false;
                }

                _journal.Forget(cut);
                return true;
            }

            var first = waiting[0].Change;
            var starts = cut.First.CompareTo(first.Position);
            if (starts > 0 || (starts == 0 && cut.FirstMoved != first.Moved))
            {
                return true; // the lane's next change was not in it: cut afresh
            }

            var changeCount = cut.ChangeCount;
            if (starts < 0 || (allRead && held < changeCount))
            {
                lane.RestoreBy = 0;
                if (!cut.Settled)
                {
                    _journal.Forget(cut);
                    LogMessages.CutChanged(_logger, lane.Channel, cut.First, "some of its changes are done, and one never sent may lie inside it");
                    return true;
                }

                // Kept until a change past it is read: those of its changes still to be read were accepted too.
                if (allRead)
                {
                    _journal.Forget(cut);
                }

                LogMessages.AcceptedBeforeRestart(_logger, lane.Channel, held, cut.First);
                _progress.Accepted(waiting, 0, held);
                lane.Dequeue(held);
                continue;
            }

            if (held > changeCount)
            {
                _journal.Forget(cut);
                lane.RestoreBy = 0;
                LogMessages.CutChanged(_logger, lane.Channel, cut.First, "a change committed late lies inside it");
                return true;
            }

            // The recorded messages whose changes are all read, and the change after them read too (it names what is
            // left of the cut).
            var messages = 0;
            var changes = 0;
            while (messages < cut.Counts.Length && changes + cut.Counts[messages] <= held)
            {
                changes += cut.Counts[messages++];
            }

            if (messages < cut.Counts.Length && changes == held)
            {
                changes -= cut.Counts[--messages];
            }

            if (messages == 0)
            {
                if (!WaitToRestore(lane, now, ref wake))
                {
                    return false;
                }

                _journal.Forget(cut);
                LogMessages.CutChanged(_logger, lane.Channel, cut.First, "the changes of its first message were not all read in time");
                return true;
            }

            lane.RestoreBy = 0;
            var built = new List<Publishing.OutboundMessage>(messages);
            var next = 0;
            var bundles = 0;
            for (var m = 0; m < messages; m++)
            {
                var count = cut.Counts[m];
                for (var i = next + 1; i < next + count; i++)
                {
                    if (waiting[i].Change.Mapping != waiting[next].Change.Mapping)
                    {
                        _journal.Forget(cut);
                        LogMessages.CutChanged(_logger, lane.Channel, cut.First, "its changes now belong to different mappings");
                        return true;
                    }
                }

                built.Add(_builder.Bundle(waiting, next, count));
                bundles += count > 1 ? 1 : 0;
                next += count;
            }

            // What is left of the cut waits for its changes; a lane holds one recorded cut at a time.
            _journal.Replace(cut, messages == cut.Counts.Length
                ? null
                : cut with { First = waiting[changes].Change.Position, FirstMoved = waiting[changes].Change.Moved, Counts = cut.Counts[messages..] });
            lane.InChunk = changes;
            lane.Retained = new LaneChunk(lane, changes, built.Count, Spec(lane.Channel, built), bundles) { Cut = cut };
            return true;
        }

        return true; // a lane left empty is unlisted when it next sends, or stays listed, idle, until then
    }

    /// <summary>False while the lane may still wait for a recorded chunk's changes to be read (its patience runs from the first call).</summary>
    private static bool WaitToRestore(ChannelLane lane, long now, ref long wake)
    {
        if (lane.RestoreBy == 0)
        {
            lane.RestoreBy = now + RequestPacker.Ticks(RestorePatience);
        }

        if (now < lane.RestoreBy)
        {
            wake = Math.Min(wake, lane.RestoreBy);
            return false;
        }

        lane.RestoreBy = 0;
        return true;
    }

    private static PooledBufferWriter Spec(string channel, List<Publishing.OutboundMessage> messages)
    {
        var spec = new PooledBufferWriter(SpecCapacity(messages));
        using (var writer = new System.Text.Json.Utf8JsonWriter(spec, AblyWireFormat.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("channels"u8);
            writer.WriteStringValue(channel);
            writer.WriteEndArray();
            writer.WriteStartArray("messages"u8);
            foreach (var message in messages)
            {
                AblyWireFormat.WriteMessage(writer, message);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return spec;
    }

    /// <summary>About what the spec takes as JSON, so that its pooled array is seldom replaced while it is written.</summary>
    private static int SpecCapacity(List<Publishing.OutboundMessage> messages)
    {
        long data = 256;
        foreach (var message in messages)
        {
            data += 128 + message.DataLengthEstimate;
        }

        return (int)Math.Min(data + (data / 4), 1024 * 1024);
    }
}
