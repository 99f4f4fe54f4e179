using System;
using System.Buffers;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Capture;
using AblyPgTyped.Mapping;

using AblyPgTyped.Publishing;
using AblyPgTyped.Serialization;
using Microsoft.Extensions.Logging;

namespace AblyPgTyped;

/// <summary>
/// The active connector's loop: read the oldest captured changes, publish them channel by channel in position order,
/// run the handlers, then forget them — in that order, so a crash at any point re-sends rather than loses.
/// </summary>
/// <remarks>
/// A cycle is finished only when every change in it was accepted by Ably or dead-lettered; until then it retries with
/// the same message ids, which Ably de-duplicates. Reading always starts from the oldest remaining change, so a
/// transaction that commits late (with a lower position) is picked up by the next cycle.
/// </remarks>
internal sealed class ChangeDrain(
    ConnectorOptions options,
    IReadOnlyDictionary<(string Schema, string Table), ChangeMapping> mappings,
    AblyRestPublisher publisher,
    string installId,
    ILogger logger)
{
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private Utf8JsonWriter? _writer;

    /// <summary>Changes decoded per part of a cycle: small enough that decoding overlaps publishing, large enough to fill requests.</summary>
    private const int PartSize = 2_500;

    private ILogger Logger => logger;
    private readonly Dictionary<(ChangeMapping, ChangeKind), MessageHeaders> _headers = [];

    public async Task RunAsync(ICaptureSource source, CancellationToken stopping)
    {
        var idleSteps = 0;
        while (true)
        {
            stopping.ThrowIfCancellationRequested();
            var rows = await source.ReadAsync(options.MaxChangesPerCycle, stopping);
            if (rows.Count == 0)
            {
                // A few short polls catch a steady stream without waking writers; then arm the wake-up and wait.
                if (idleSteps < 4)
                {
                    await Task.Delay(1 << idleSteps, stopping);
                    idleSteps++;
                }
                else
                {
                    await source.WaitForChangesAsync(options.IdleWakeupTimeout, stopping);
                }

                continue;
            }

            idleSteps = 0;
            ConnectorLog.Read(logger, rows.Count, rows.Sum(r => r.Count));
            var cycle = new Cycle();
            await PublishInPartsAsync(rows, cycle, stopping);
            await RunHandlersAsync(cycle, stopping);
            await source.CompleteAsync(rows, cycle.SortedDeadLetters(), stopping);
        }
    }

    /// <summary>
    /// Decodes and publishes the cycle in parts of about <see cref="PartSize"/> changes (whole capture rows), decoding
    /// the next part while the previous one is being published. A part is published only once the previous part is
    /// accepted or dead-lettered, so each channel still has one request in flight and keeps position order.
    /// </summary>
    private async Task PublishInPartsAsync(IReadOnlyList<CapturedRow> rows, Cycle cycle, CancellationToken stopping)
    {
        Task? publishing = null;
        try
        {
            for (var start = 0; start < rows.Count;)
            {
                var end = start;
                for (var changes = 0; end < rows.Count && changes < PartSize; end++)
                {
                    changes += rows[end].Count;
                }

                var part = Decode(rows, start, end, cycle);
                start = end;
                if (publishing is not null)
                {
                    await publishing;
                }

                publishing = part.Count > 0 ? PublishAsync(part, cycle, stopping) : null;
            }

            if (publishing is not null)
            {
                await publishing;
            }
        }
        catch when (publishing is { IsCompleted: false })
        {
            // Let the part in flight finish (or fail) before the cycle is abandoned; its outcome no longer matters.
            await Task.WhenAny(publishing);
            throw;
        }
    }

    /// <summary>Decodes rows [<paramref name="start"/>, <paramref name="end"/>) into the cycle; returns their messages per channel.</summary>
    private Dictionary<string, List<Outgoing>> Decode(IReadOnlyList<CapturedRow> rows, int start, int end, Cycle cycle)
    {
        var byChannel = new Dictionary<string, List<Item>>(StringComparer.Ordinal);
        for (var r = start; r < end; r++)
        {
            var row = rows[r];
            mappings.TryGetValue((row.Schema, row.Table), out var mapping);
            var reader = new Utf8JsonReader(row.Data);
            reader.Read();
            for (var index = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; index++)
            {
                var from = (int)reader.TokenStartIndex;
                reader.Skip();
                var captured = new CapturedJson(row.Data, from, (int)reader.BytesConsumed - from);
                var position = new ChangePosition(row.Id, index);
                if (mapping is null)
                {
                    cycle.DeadLetter(this, new DeadLetter(position, row.Schema, row.Table, row.Op, null,
                        "no mapping for this table is configured any more", captured.ToString()));
                    continue;
                }

                DecodedChange change;
                try
                {
                    change = mapping.Decode(captured.Span, row.Kind, position, row.CapturedAt);
                }
                catch (JsonException e)
                {
                    cycle.DeadLetter(this, new DeadLetter(position, row.Schema, row.Table, row.Op, null,
                        "the captured row does not fit the mapping: " + e.Message, captured.ToString()));
                    continue;
                }

                if (change.Channel is null)
                {
                    continue; // Captured under an earlier configuration that published this kind of change.
                }

                // A channel name is judged once per part: only valid names enter byChannel.
                if (!byChannel.TryGetValue(change.Channel, out var items))
                {
                    if (ChannelNameRules.Problem(change.Channel) is { } problem)
                    {
                        cycle.DeadLetter(this, new DeadLetter(position, row.Schema, row.Table, row.Op, change.Channel,
                            $"the resolved channel '{change.Channel}' is not valid: {problem}", captured.ToString()));
                        continue;
                    }

                    byChannel[change.Channel] = items = [];
                }

                cycle.Changes.Add(change);
                items.Add(new Item(change, captured));
            }
        }

        var pending = new Dictionary<string, List<Outgoing>>(byChannel.Count, StringComparer.Ordinal);
        foreach (var (channel, items) in byChannel)
        {
            pending[channel] = BuildMessages(channel, items, cycle);
        }

        return pending;
    }

    /// <summary>One message per change, or bundles of consecutive changes when bundling is on; oversize ones are dead-lettered.</summary>
    private List<Outgoing> BuildMessages(string channel, List<Item> items, Cycle cycle)
    {
        var messages = new List<Outgoing>(items.Count);
        var limit = options.Ably.MaxMessageSize;
        if (options.MaxChangesPerMessage == 1)
        {
            for (var i = 0; i < items.Count; i++)
            {
                var single = Single(items[i].Change, cycle.Arena);
                if (Fits(channel, items[i], single, limit, cycle))
                {
                    messages.Add(new Outgoing(single, items, i, 1));
                }
            }

            return messages;
        }

        // A bundle's data is {"changes":[…]}: each change's envelope is rendered once, and a bundle is measured by
        // arithmetic on the lengths; its bytes are put together only when it is closed.
        var kept = new List<Item>(items.Count);
        var singles = new List<OutboundMessage>(items.Count);
        int first = 0, dataLength = 0;
        foreach (var item in items)
        {
            var single = Single(item.Change, cycle.Arena);
            if (!Fits(channel, item, single, limit, cycle))
            {
                continue;
            }

            var count = kept.Count - first;
            if (count > 0
                && (count == options.MaxChangesPerMessage
                    || BundleSize(kept, first, count, BundleDataLength(dataLength + 1 + single.DataByteCount)) > limit))
            {
                messages.Add(Close(kept, singles, first, count));
                first = kept.Count;
                count = 0;
            }

            dataLength = count == 0 ? single.DataByteCount : dataLength + 1 + single.DataByteCount;
            kept.Add(item);
            singles.Add(single);
        }

        if (kept.Count > first)
        {
            messages.Add(Close(kept, singles, first, kept.Count - first));
        }

        return messages;

        Outgoing Close(List<Item> bundled, List<OutboundMessage> rendered, int start, int count)
        {
            if (count == 1)
            {
                return new Outgoing(rendered[start], bundled, start, 1);
            }

            _buffer.ResetWrittenCount();
            Append(BundleStart);
            for (var i = start; i < start + count; i++)
            {
                if (i > start)
                {
                    Append(","u8);
                }

                rendered[i].TryGetUtf8Data(out var data);
                Append(data);
            }

            Append(BundleEnd);
            var firstChange = bundled[start].Change;
            var message = new OutboundMessage(MessageId(firstChange.Position, count), ChangeMessage.BundleName,
                cycle.Arena.Copy(_buffer.WrittenSpan), BundleHeaders(bundled, start, count));
            return new Outgoing(message, bundled, start, count);
        }
    }

    private bool Fits(string channel, Item item, OutboundMessage message, int limit, Cycle cycle)
    {
        var size = AblyMessageSize.Of(message);
        if (size <= limit)
        {
            return true;
        }

        var change = item.Change;
        cycle.Reject(this, change, new DeadLetter(change.Position, change.Mapping.Schema, change.Mapping.TableName, OpOf(change.Kind), channel,
            $"the message is {size} bytes; the maximum message size is {limit}", item.Captured.ToString()));
        return false;
    }

    private static ReadOnlySpan<byte> BundleStart => "{\"changes\":["u8;

    private static ReadOnlySpan<byte> BundleEnd => "]}"u8;

    /// <summary>The length of <c>{"changes":[…]}</c> around changes that take <paramref name="joinedChanges"/> bytes with their commas.</summary>
    private static int BundleDataLength(int joinedChanges) => BundleStart.Length + joinedChanges + BundleEnd.Length;

    /// <summary>The size by Ably's rule of a bundle of <paramref name="count"/> kept changes (headers as those changes give them) with the given data length.</summary>
    private int BundleSize(List<Item> kept, int start, int count, int dataLength) =>
        ChangeMessage.BundleName.Length + dataLength + AblyMessageSize.ExtrasLength(BundleHeaders(kept, start, count));

    private MessageHeaders BundleHeaders(List<Item> items, int start, int count)
    {
        var first = items[start].Change;
        for (var i = start + 1; i < start + count; i++)
        {
            if (items[i].Change.Kind != first.Kind)
            {
                return Headers(first.Mapping, null);
            }
        }

        return Headers(first.Mapping, first.Kind);
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_buffer.GetSpan(bytes.Length));
        _buffer.Advance(bytes.Length);
    }

    private OutboundMessage Single(DecodedChange change, Utf8Arena arena)
    {
        var name = options.CompatibleMessages ? ChangeMessage.CompatibleName : ChangeMessage.NameOf(change.Kind);
        _buffer.ResetWrittenCount();
        var writer = _writer ??= new Utf8JsonWriter(_buffer, JsonRow.WriterOptions);
        writer.Reset(_buffer);
        if (options.CompatibleMessages)
        {
            change.WriteCompatibleData(writer);
        }
        else
        {
            change.WriteData(writer);
        }

        writer.Flush();
        return new OutboundMessage(MessageId(change.Position, 1), name, arena.Copy(_buffer.WrittenSpan), Headers(change.Mapping, change.Kind))
        {
            // The original published its JSON as text: subscribers receive a string, as before.
            DataIsJson = !options.CompatibleMessages,
        };
    }

    /// <summary>Derived from the durable position only, so a re-send after a crash carries the same id.</summary>
    private string MessageId(ChangePosition position, int count) =>
        count == 1 ? $"{installId}-{position.CaptureId}-{position.Index}" : $"{installId}-{position.CaptureId}-{position.Index}-{count}";

    private MessageHeaders Headers(ChangeMapping mapping, ChangeKind? kind)
    {
        var key = (mapping, kind ?? (ChangeKind)0);
        if (!_headers.TryGetValue(key, out var headers))
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal) { ["schema"] = mapping.Schema, ["table"] = mapping.TableName };
            if (kind is { } k)
            {
                values["operation"] = ChangeMessage.NameOf(k);
            }

            _headers[key] = headers = new MessageHeaders(values);
        }

        return headers;
    }

    /// <summary>Publishes until every message of <paramref name="pending"/> is accepted or dead-lettered.</summary>
    private async Task PublishAsync(Dictionary<string, List<Outgoing>> pending, Cycle cycle, CancellationToken stopping)
    {
        var offsets = pending.Keys.ToDictionary(c => c, _ => 0, StringComparer.Ordinal);
        for (var attempt = 0; ; attempt++)
        {
            var open = pending.Where(p => offsets[p.Key] < p.Value.Count).ToList();
            if (open.Count == 0)
            {
                return;
            }

            var batches = new List<ChannelBatch>(open.Count);
            foreach (var (channel, outgoing) in open)
            {
                var messages = new OutboundMessage[outgoing.Count - offsets[channel]];
                for (var i = 0; i < messages.Length; i++)
                {
                    messages[i] = outgoing[offsets[channel] + i].Message;
                }

                batches.Add(new ChannelBatch(channel, messages));
            }

            var results = await publisher.PublishAsync(batches, stopping);

            var retryAfter = TimeSpan.Zero;
            string? reason = null;
            var unauthorized = false;
            foreach (var result in results)
            {
                var messages = pending[result.Channel];
                offsets[result.Channel] += result.AcceptedCount;
                switch (result.Status)
                {
                    case PublishStatus.Accepted:
                        offsets[result.Channel] = messages.Count;
                        break;
                    case PublishStatus.Rejected:
                        var rejected = messages[offsets[result.Channel]];
                        for (var i = rejected.Start; i < rejected.Start + rejected.Count; i++)
                        {
                            var (change, captured) = rejected.Items[i];
                            cycle.Reject(this, change, new DeadLetter(change.Position, change.Mapping.Schema, change.Mapping.TableName, OpOf(change.Kind),
                                result.Channel, $"Ably rejected the message: {Describe(result.Error)}", captured.ToString()));
                        }

                        offsets[result.Channel]++;
                        break;
                    case PublishStatus.Unauthorized:
                        unauthorized = true;
                        reason = Describe(result.Error);
                        break;
                    default:
                        reason ??= Describe(result.Error);
                        if (result.RetryAfter is { } after && after > retryAfter)
                        {
                            retryAfter = after;
                        }

                        break;
                }
            }

            var remaining = pending.Count(p => offsets[p.Key] < p.Value.Count);
            if (remaining == 0)
            {
                ConnectorLog.Published(logger, pending.Sum(p => p.Value.Count), pending.Count);
                return;
            }

            var delay = RetryDelay(attempt, retryAfter, unauthorized);
            if (unauthorized)
            {
                ConnectorLog.Unauthorized(logger, reason ?? "401", delay);
            }
            else
            {
                ConnectorLog.PublishRetry(logger, remaining, reason ?? "no answer", delay);
            }

            await Task.Delay(delay, stopping);
        }
    }

    private async Task RunHandlersAsync(Cycle cycle, CancellationToken stopping)
    {
        foreach (var change in cycle.Changes)
        {
            if (!change.HasHandlers || cycle.IsRejected(change))
            {
                continue;
            }

            try
            {
                await change.InvokeHandlersAsync(stopping);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
            {
                ConnectorLog.HandlerFailed(logger, change.Kind, change.Mapping.DisplayName, change.Position, e);
            }
        }
    }

    /// <summary>Exponential backoff with full jitter, never shorter than Ably's Retry-After; slower for a rejected key.</summary>
    private TimeSpan RetryDelay(int attempt, TimeSpan retryAfter, bool unauthorized)
    {
        var ceiling = unauthorized
            ? options.MaxRetryDelay
            : TimeSpan.FromMilliseconds(Math.Min(options.MaxRetryDelay.TotalMilliseconds, 250 * Math.Pow(2, Math.Min(attempt, 16))));
        var jittered = TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ceiling.TotalMilliseconds);
        var floor = unauthorized ? TimeSpan.FromSeconds(Math.Min(5, options.MaxRetryDelay.TotalSeconds)) : TimeSpan.FromMilliseconds(50);
        return TimeSpan.FromTicks(Math.Max(Math.Max(jittered.Ticks, retryAfter.Ticks), floor.Ticks));
    }

    private static string Describe(AblyErrorInfo? error) =>
        error is null ? "no error information" : $"{error.Code} (HTTP {error.StatusCode}): {error.Message}";

    private static char OpOf(ChangeKind kind) => kind switch { ChangeKind.Insert => 'I', ChangeKind.Update => 'U', _ => 'D' };

    /// <summary>A change of the cycle, with the captured JSON it was decoded from (kept for a dead letter).</summary>
    private readonly record struct Item(DecodedChange Change, CapturedJson Captured);

    /// <summary>One message and the changes it carries: <paramref name="Count"/> consecutive items from <paramref name="Start"/>.</summary>
    private readonly record struct Outgoing(OutboundMessage Message, List<Item> Items, int Start, int Count);

    /// <summary>A change's slice of its capture row's JSON; turned into text only for a dead letter.</summary>
    private readonly record struct CapturedJson(byte[] Row, int Start, int Length)
    {
        public ReadOnlySpan<byte> Span => Row.AsSpan(Start, Length);

        public override string ToString() => Encoding.UTF8.GetString(Span);
    }

    /// <summary>
    /// The rendered message data of one cycle, copied into shared 64 KiB blocks rather than an array per message
    /// (blocks stay below the large object heap; a bigger message gets a block of its own).
    /// </summary>
    private sealed class Utf8Arena
    {
        private const int BlockSize = 64 * 1024;
        private byte[] _block = [];
        private int _used;

        public ReadOnlyMemory<byte> Copy(ReadOnlySpan<byte> bytes)
        {
            if (_block.Length - _used < bytes.Length)
            {
                _block = new byte[Math.Max(BlockSize, bytes.Length)];
                _used = 0;
            }

            bytes.CopyTo(_block.AsSpan(_used));
            var copy = new ReadOnlyMemory<byte>(_block, _used, bytes.Length);
            _used += bytes.Length;
            return copy;
        }
    }

    /// <summary>
    /// The changes of one cycle in position order, and what could not be published. Parts of a cycle are decoded while
    /// the previous part is published, so dead letters can come from two threads at once.
    /// </summary>
    private sealed class Cycle
    {
        private readonly List<DeadLetter> _deadLetters = [];
        private readonly HashSet<DecodedChange> _rejected = [];

        public List<DecodedChange> Changes { get; } = [];

        public Utf8Arena Arena { get; } = new();

        /// <summary>The dead letters in position order (as decoding met them when parts did not overlap).</summary>
        public List<DeadLetter> SortedDeadLetters()
        {
            lock (_deadLetters)
            {
                return [.. _deadLetters.OrderBy(d => d.Position.CaptureId).ThenBy(d => d.Position.Index)];
            }
        }

        /// <summary>Whether the change was dead-lettered after decoding: its handlers do not run.</summary>
        public bool IsRejected(DecodedChange change)
        {
            lock (_deadLetters)
            {
                return _rejected.Contains(change);
            }
        }

        public void Reject(ChangeDrain drain, DecodedChange change, DeadLetter deadLetter)
        {
            lock (_deadLetters)
            {
                _rejected.Add(change);
            }

            DeadLetter(drain, deadLetter);
        }

        public void DeadLetter(ChangeDrain drain, DeadLetter deadLetter)
        {
            lock (_deadLetters)
            {
                _deadLetters.Add(deadLetter);
            }

            ConnectorLog.DeadLettered(drain.Logger, deadLetter.Position, deadLetter.Schema + "." + deadLetter.Table, deadLetter.Reason);
        }
    }
}
