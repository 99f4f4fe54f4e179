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

    private ILogger Logger => logger;
    private readonly Dictionary<(ChangeMapping, ChangeKind), IReadOnlyDictionary<string, string>> _headers = [];

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
            var cycle = Decode(rows);
            await PublishAsync(cycle, stopping);
            await RunHandlersAsync(cycle, stopping);
            await source.CompleteAsync(rows, cycle.DeadLetters, stopping);
        }
    }

    private Cycle Decode(IReadOnlyList<CapturedRow> rows)
    {
        var cycle = new Cycle();
        foreach (var row in rows)
        {
            mappings.TryGetValue((row.Schema, row.Table), out var mapping);
            var reader = new Utf8JsonReader(row.Data);
            reader.Read();
            for (var index = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; index++)
            {
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                var element = row.Data.AsSpan(start, (int)reader.BytesConsumed - start);
                var position = new ChangePosition(row.Id, index);
                if (mapping is null)
                {
                    cycle.DeadLetter(this, new DeadLetter(position, row.Schema, row.Table, row.Op, null,
                        "no mapping for this table is configured any more", Encoding.UTF8.GetString(element)));
                    continue;
                }

                DecodedChange change;
                try
                {
                    change = mapping.Decode(element, row.Kind, position, row.CapturedAt);
                }
                catch (JsonException e)
                {
                    cycle.DeadLetter(this, new DeadLetter(position, row.Schema, row.Table, row.Op, null,
                        "the captured row does not fit the mapping: " + e.Message, Encoding.UTF8.GetString(element)));
                    continue;
                }

                if (change.Channel is null)
                {
                    continue; // Captured under an earlier configuration that published this kind of change.
                }

                if (ChannelNameRules.Problem(change.Channel) is { } problem)
                {
                    cycle.DeadLetter(this, new DeadLetter(position, row.Schema, row.Table, row.Op, change.Channel,
                        $"the resolved channel '{change.Channel}' is not valid: {problem}", Encoding.UTF8.GetString(element)));
                    continue;
                }

                cycle.Changes.Add(change);
                cycle.Add(change.Channel, change, Encoding.UTF8.GetString(element));
            }
        }

        foreach (var (channel, changes) in cycle.ByChannel)
        {
            cycle.Pending[channel] = BuildMessages(channel, changes, cycle);
        }

        return cycle;
    }

    /// <summary>One message per change, or bundles of consecutive changes when bundling is on; oversize ones are dead-lettered.</summary>
    private List<Outgoing> BuildMessages(string channel, List<(DecodedChange Change, string Captured)> changes, Cycle cycle)
    {
        var messages = new List<Outgoing>(changes.Count);
        var limit = options.Ably.MaxMessageSize;
        List<(DecodedChange, string)>? bundled = null;
        StringBuilder? bundle = null;
        foreach (var item in changes)
        {
            var (change, captured) = item;
            var single = Single(change);
            var size = AblyMessageSize.Of(single);
            if (size > limit)
            {
                cycle.Reject(this, change, new DeadLetter(change.Position, change.Mapping.Schema, change.Mapping.TableName, OpOf(change.Kind), channel,
                    $"the message is {size} bytes; the maximum message size is {limit}", captured));
                continue;
            }

            if (options.MaxChangesPerMessage == 1)
            {
                messages.Add(new Outgoing(single, [item]));
                continue;
            }

            // A bundle's data is {"changes":[…]}: each change's envelope is rendered once and appended.
            if (bundle is not null
                && (bundled!.Count == options.MaxChangesPerMessage
                    || AblyMessageSize.Of(BundleMessage(bundled, bundle + "," + single.Data + "]}")) > limit))
            {
                messages.Add(Close(bundled, bundle));
                bundle = null;
            }

            if (bundle is null)
            {
                bundle = new StringBuilder("{\"changes\":[");
                bundled = [];
            }
            else
            {
                bundle.Append(',');
            }

            bundle.Append(single.Data);
            bundled!.Add(item);
        }

        if (bundle is not null)
        {
            messages.Add(Close(bundled!, bundle));
        }

        return messages;

        Outgoing Close(List<(DecodedChange, string)> items, StringBuilder data) =>
            items.Count == 1
                ? new Outgoing(Single(items[0].Item1), items)
                : new Outgoing(BundleMessage(items, data.Append("]}").ToString()), items);
    }

    private OutboundMessage BundleMessage(List<(DecodedChange Change, string)> items, string data)
    {
        var first = items[0].Change;
        var sameKind = items.All(i => i.Change.Kind == first.Kind);
        return new OutboundMessage(MessageId(first.Position, items.Count), ChangeMessage.BundleName, data, Headers(first.Mapping, sameKind ? first.Kind : null));
    }

    private OutboundMessage Single(DecodedChange change)
    {
        var name = options.CompatibleMessages ? ChangeMessage.CompatibleName : ChangeMessage.NameOf(change.Kind);
        var data = Render(w =>
        {
            if (options.CompatibleMessages)
            {
                change.WriteCompatibleData(w);
            }
            else
            {
                change.WriteData(w);
            }
        });
        return new OutboundMessage(MessageId(change.Position, 1), name, data, Headers(change.Mapping, change.Kind))
        {
            // The original published its JSON as text: subscribers receive a string, as before.
            DataIsJson = !options.CompatibleMessages,
        };
    }

    /// <summary>Derived from the durable position only, so a re-send after a crash carries the same id.</summary>
    private string MessageId(ChangePosition position, int count) =>
        count == 1 ? $"{installId}-{position.CaptureId}-{position.Index}" : $"{installId}-{position.CaptureId}-{position.Index}-{count}";

    private IReadOnlyDictionary<string, string> Headers(ChangeMapping mapping, ChangeKind? kind)
    {
        var key = (mapping, kind ?? (ChangeKind)0);
        if (!_headers.TryGetValue(key, out var headers))
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal) { ["schema"] = mapping.Schema, ["table"] = mapping.TableName };
            if (kind is { } k)
            {
                values["operation"] = ChangeMessage.NameOf(k);
            }

            _headers[key] = headers = values;
        }

        return headers;
    }

    private string Render(Action<Utf8JsonWriter> write)
    {
        _buffer.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(_buffer, JsonRow.WriterOptions))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(_buffer.WrittenSpan);
    }

    /// <summary>Publishes until every message of the cycle is accepted or dead-lettered.</summary>
    private async Task PublishAsync(Cycle cycle, CancellationToken stopping)
    {
        var offsets = cycle.Pending.Keys.ToDictionary(c => c, _ => 0, StringComparer.Ordinal);
        for (var attempt = 0; ; attempt++)
        {
            var open = cycle.Pending.Where(p => offsets[p.Key] < p.Value.Count).ToList();
            if (open.Count == 0)
            {
                return;
            }

            var batches = open.Select(p => new ChannelBatch(p.Key, p.Value.Skip(offsets[p.Key]).Select(m => m.Message).ToList())).ToList();
            var results = await publisher.PublishAsync(batches, stopping);

            var retryAfter = TimeSpan.Zero;
            string? reason = null;
            var unauthorized = false;
            foreach (var result in results)
            {
                var messages = cycle.Pending[result.Channel];
                offsets[result.Channel] += result.AcceptedCount;
                switch (result.Status)
                {
                    case PublishStatus.Accepted:
                        offsets[result.Channel] = messages.Count;
                        break;
                    case PublishStatus.Rejected:
                        var rejected = messages[offsets[result.Channel]];
                        foreach (var (change, captured) in rejected.Changes)
                        {
                            cycle.Reject(this, change, new DeadLetter(change.Position, change.Mapping.Schema, change.Mapping.TableName, OpOf(change.Kind),
                                result.Channel, $"Ably rejected the message: {Describe(result.Error)}", captured));
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

            var remaining = cycle.Pending.Count(p => offsets[p.Key] < p.Value.Count);
            if (remaining == 0)
            {
                ConnectorLog.Published(logger, cycle.Pending.Sum(p => p.Value.Count), cycle.Pending.Count);
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
            if (!change.HasHandlers || cycle.Rejected.Contains(change))
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

    private sealed record Outgoing(OutboundMessage Message, List<(DecodedChange Change, string Captured)> Changes);

    /// <summary>The changes of one cycle: per channel in position order, plus what could not be published.</summary>
    private sealed class Cycle
    {
        public List<DecodedChange> Changes { get; } = [];

        public Dictionary<string, List<(DecodedChange, string)>> ByChannel { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, List<Outgoing>> Pending { get; } = new(StringComparer.Ordinal);

        public List<DeadLetter> DeadLetters { get; } = [];

        public void Add(string channel, DecodedChange change, string captured)
        {
            if (!ByChannel.TryGetValue(channel, out var list))
            {
                ByChannel[channel] = list = [];
            }

            list.Add((change, captured));
        }

        /// <summary>Changes that were dead-lettered after decoding: their handlers do not run.</summary>
        public HashSet<DecodedChange> Rejected { get; } = [];

        public void Reject(ChangeDrain drain, DecodedChange change, DeadLetter deadLetter)
        {
            Rejected.Add(change);
            DeadLetter(drain, deadLetter);
        }

        public void DeadLetter(ChangeDrain drain, DeadLetter deadLetter)
        {
            DeadLetters.Add(deadLetter);
            ConnectorLog.DeadLettered(drain.Logger, deadLetter.Position, deadLetter.Schema + "." + deadLetter.Table, deadLetter.Reason);
        }
    }
}
