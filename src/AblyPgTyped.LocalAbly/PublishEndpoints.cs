using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;

namespace AblyPgTyped.LocalAbly;

/// <summary><c>POST /channels/{name}/messages</c> and <c>POST /messages</c> (batch publish).</summary>
internal sealed class PublishEndpoints
{
    private readonly ServerCore _core;

    public PublishEndpoints(ServerCore core) => _core = core;

    public async Task PublishAsync(HttpContext context, string channel)
    {
        var counters = _core.Counters;
        ServerCounters.Increment(ref counters.PublishRequests);
        ServerCounters.Increment(ref counters.ChannelPublishRequests);
        List<IncomingMessage>? messages = null;
        try
        {
            // Every publish request spends a request token, taken at the door like Ably's edge does.
            _core.Rates.TakeRequest();
            ChannelNames.EnsureValid(channel);
            RequestBodies.EnsureJson(context.Request);
            messages = await RequestBodies.ReadJsonAsync(
                context,
                _core.Options.MaxRequestBodySize,
                StatusCodes.Status413PayloadTooLarge,
                0,
                static (root, _) => IncomingMessage.ParseOneOrMany(root, "publish body")).ConfigureAwait(false);
            if (messages.Count == 0)
            {
                throw new AblyException(400, AblyErrors.InvalidBody, "Invalid message: the publish body holds no messages");
            }

            (var proceed, _) = await _core.ApplyFaultsAsync(context, FaultTarget.ChannelPublish, new[] { channel }).ConfigureAwait(false);
            if (!proceed)
            {
                return;
            }

            EnsureSize(_core, messages, "this publish");
            var mode = MessageIds.ForChannelPublish(messages, out var groupKey);
            var ids = MessageIds.Assign(messages);
            var state = _core.Channels.GetOrAdd(channel);
            var publish = new ChannelPublish(messages, ids, mode, groupKey, PublishKind.Channel, DateTimeOffset.UtcNow, Stopwatch.GetTimestamp());
            var reserved = AccountReservation(_core, state, publish);
            _core.Rates.ReserveAccountMessages(reserved);
            var result = state.Publish(publish, _core);
            _core.Rates.SettleAccountMessages(reserved, result.Accepted.Length);
            if (result.Error is not null)
            {
                ServerCounters.Increment(ref counters.RateLimitedRequests);
                ServerCounters.Add(ref counters.RejectedMessages, messages.Count);
                messages = null; // already counted per channel by the store
                throw result.Error;
            }

            _core.OnAccepted(result);

            var writer = JsonOutput.Begin(context, StatusCodes.Status201Created);
            writer.WriteStartObject();
            writer.WriteString("channel"u8, channel);
            writer.WriteString("messageId"u8, MessageIds.ResponseMessageId(ids));
            WriteSerials(writer, result.Serials);
            writer.WriteEndObject();
            await JsonOutput.EndAsync(context, writer).ConfigureAwait(false);
        }
        catch (AblyException)
        {
            ServerCounters.Increment(ref counters.RejectedRequests);
            if (messages is not null)
            {
                ServerCounters.Add(ref counters.RejectedMessages, messages.Count);
                if (ChannelNames.Validate(channel) is null)
                {
                    _core.Channels.GetOrAdd(channel).CountRejected(messages.Count);
                }
            }

            throw;
        }
    }

    public async Task BatchPublishAsync(HttpContext context)
    {
        var counters = _core.Counters;
        ServerCounters.Increment(ref counters.PublishRequests);
        ServerCounters.Increment(ref counters.BatchPublishRequests);
        long unstored = 0; // messages × channels of a parsed request not yet handed to the channels
        try
        {
            _core.Rates.TakeRequest();
            RequestBodies.EnsureJson(context.Request);
            var specs = await RequestBodies.ReadJsonAsync(
                context,
                _core.Options.MaxRequestBodySize,
                StatusCodes.Status400BadRequest,
                _core.Options,
                static (root, options) => BatchSpec.ParseOneOrMany(root, options)).ConfigureAwait(false);

            var allChannels = new HashSet<string>(StringComparer.Ordinal);
            foreach (var spec in specs)
            {
                unstored += (long)spec.Messages.Count * spec.Channels.Length;
                foreach (var channel in spec.Channels)
                {
                    allChannels.Add(channel);
                }
            }

            (var proceed, var channelFailures) =
                await _core.ApplyFaultsAsync(context, FaultTarget.BatchPublish, allChannels).ConfigureAwait(false);
            if (!proceed)
            {
                return;
            }

            // Validate every spec before storing anything, so a too-large spec fails the request atomically.
            for (var s = 0; s < specs.Count; s++)
            {
                EnsureSize(_core, specs[s].Messages, "batch spec " + s.ToString(CultureInfo.InvariantCulture));
            }

            // One receipt time for the whole request, as for a channel publish. Every entry is prepared before any is
            // stored, so the account's message budget is reserved (or the whole request refused) up front.
            var now = DateTimeOffset.UtcNow;
            var nowStopwatch = Stopwatch.GetTimestamp();
            var entries = new BatchEntry[specs.Count][];
            long reserved = 0;
            for (var s = 0; s < specs.Count; s++)
            {
                var spec = specs[s];
                entries[s] = new BatchEntry[spec.Channels.Length];
                for (var c = 0; c < spec.Channels.Length; c++)
                {
                    var entry = Prepare(spec, spec.Channels[c], channelFailures, now, nowStopwatch);
                    reserved += entry.Reserved;
                    entries[s][c] = entry;
                }
            }

            _core.Rates.ReserveAccountMessages(reserved);
            unstored = 0;
            long stored = 0;
            var results = new BatchChannelOutcome[specs.Count][];
            for (var s = 0; s < specs.Count; s++)
            {
                results[s] = new BatchChannelOutcome[entries[s].Length];
                for (var c = 0; c < entries[s].Length; c++)
                {
                    results[s][c] = PublishOne(specs[s], entries[s][c], ref stored);
                }
            }

            _core.Rates.SettleAccountMessages(reserved, stored);

            var writer = JsonOutput.Begin(context, StatusCodes.Status201Created);
            writer.WriteStartArray();
            foreach (var outcomes in results)
            {
                var failures = 0;
                foreach (var outcome in outcomes)
                {
                    failures += outcome.Error is null ? 0 : 1;
                }

                writer.WriteStartObject();
                writer.WriteNumber("successCount"u8, outcomes.Length - failures);
                writer.WriteNumber("failureCount"u8, failures);
                writer.WriteStartArray("results"u8);
                foreach (var outcome in outcomes)
                {
                    writer.WriteStartObject();
                    writer.WriteString("channel"u8, outcome.Channel);
                    if (outcome.Error is { } error)
                    {
                        writer.WritePropertyName("error"u8);
                        AblyErrors.WriteErrorInfo(writer, error.Code, error.StatusCode, error.Message);
                    }
                    else
                    {
                        writer.WriteString("messageId"u8, outcome.MessageId);
                        WriteSerials(writer, outcome.Serials!);
                    }

                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            await JsonOutput.EndAsync(context, writer).ConfigureAwait(false);
        }
        catch (AblyException)
        {
            ServerCounters.Increment(ref counters.RejectedRequests);
            ServerCounters.Add(ref counters.RejectedMessages, unstored);
            throw;
        }
    }

    /// <summary>Decides what can be decided about one (spec, channel) entry before anything is stored.</summary>
    private BatchEntry Prepare(BatchSpec spec, string channel, Dictionary<string, FaultRule>? channelFailures, DateTimeOffset now, long nowStopwatch)
    {
        var invalidName = ChannelNames.Validate(channel);
        if (invalidName is not null)
        {
            return new BatchEntry(channel, null, default, 0, new AblyException(400, AblyErrors.InvalidChannelName, invalidName + " (channel: \"" + channel + "\")"), false);
        }

        if (channelFailures is not null && channelFailures.TryGetValue(channel, out var rule))
        {
            return new BatchEntry(channel, null, default, 0, rule.ToException(), true);
        }

        // Batch publish: every id is its own idempotency key, independently per channel.
        var state = _core.Channels.GetOrAdd(channel);
        var publish = new ChannelPublish(spec.Messages, MessageIds.Assign(spec.Messages), DedupMode.PerMessage, null, PublishKind.Batch, now, nowStopwatch);
        return new BatchEntry(channel, state, publish, AccountReservation(_core, state, publish), null, false);
    }

    private BatchChannelOutcome PublishOne(BatchSpec spec, in BatchEntry entry, ref long stored)
    {
        var counters = _core.Counters;
        var error = entry.Error;
        if (entry.Injected)
        {
            ServerCounters.Increment(ref counters.InjectedFailures);
            _core.Channels.GetOrAdd(entry.Channel).CountRejected(spec.Messages.Count);
        }
        else if (entry.State is { } state)
        {
            var result = state.Publish(entry.Publish, _core);
            if (result.Error is null)
            {
                stored += result.Accepted.Length;
                _core.OnAccepted(result);
                return new BatchChannelOutcome(entry.Channel, MessageIds.ResponseMessageId(entry.Publish.Ids), result.Serials, null);
            }

            error = result.Error;
        }

        ServerCounters.Increment(ref counters.BatchChannelFailures);
        ServerCounters.Add(ref counters.RejectedMessages, spec.Messages.Count);
        return new BatchChannelOutcome(entry.Channel, null, null, error);
    }

    /// <summary>Account message tokens to reserve for one channel's part of a publish: its new messages, when the account is limited.</summary>
    internal static long AccountReservation(ServerCore core, ChannelState state, in ChannelPublish publish)
    {
        if (!core.Rates.LimitsAccountMessages)
        {
            return 0;
        }

        // A publish too big for its channel ever to accept is refused by the channel check (42913, "can never pass");
        // it must not first be refused, or hold tokens, for the account's budget.
        var fresh = state.CountFresh(publish);
        return core.Rates.ChannelMessagesPerSecond is { } rate && fresh > TokenBucket.Capacity(rate) ? 0 : fresh;
    }

    internal static void EnsureSize(ServerCore core, List<IncomingMessage> messages, string what)
    {
        var size = IncomingMessage.TotalSize(messages);
        if (size > core.MaxMessageSize)
        {
            throw new AblyException(
                StatusCodes.Status413PayloadTooLarge,
                AblyErrors.MessageTooLarge,
                "Maximum size of messages that can be published at once exceeded: " + what + " is " + size.ToString(CultureInfo.InvariantCulture) + " bytes, the limit is " + core.MaxMessageSize.ToString(CultureInfo.InvariantCulture) + " bytes");
        }
    }

    private static void WriteSerials(Utf8JsonWriter writer, string?[] serials)
    {
        writer.WriteStartArray("serials"u8);
        foreach (var serial in serials)
        {
            if (serial is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                writer.WriteStringValue(serial);
            }
        }

        writer.WriteEndArray();
    }

    private readonly record struct BatchChannelOutcome(string Channel, string? MessageId, string?[]? Serials, AblyException? Error);

    /// <summary>One (spec, channel) pair: ready to publish (<see cref="State"/> set), or already failed (<see cref="Error"/>).</summary>
    private readonly record struct BatchEntry(string Channel, ChannelState? State, ChannelPublish Publish, long Reserved, AblyException? Error, bool Injected);
}
