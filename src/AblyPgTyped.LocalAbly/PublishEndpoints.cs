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
        ServerCounters counters = _core.Counters;
        ServerCounters.Increment(ref counters.PublishRequests);
        ServerCounters.Increment(ref counters.ChannelPublishRequests);
        List<IncomingMessage>? messages = null;
        try
        {
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

            (bool proceed, _) = await _core.ApplyFaultsAsync(context, FaultTarget.ChannelPublish, new[] { channel }).ConfigureAwait(false);
            if (!proceed)
            {
                return;
            }

            EnsureSize(messages, "this publish");
            DedupMode mode = MessageIds.ForChannelPublish(messages, out string? groupKey);
            string[] ids = MessageIds.Assign(messages);
            ChannelState state = _core.Channels.GetOrAdd(channel);
            ChannelPublishResult result = state.Publish(
                new ChannelPublish(messages, ids, mode, groupKey, PublishKind.Channel, DateTimeOffset.UtcNow, Stopwatch.GetTimestamp()),
                _core);
            if (result.Error is not null)
            {
                ServerCounters.Add(ref counters.RejectedMessages, messages.Count);
                messages = null; // already counted per channel by the store
                throw result.Error;
            }

            _core.OnAccepted(result);

            Utf8JsonWriter writer = JsonOutput.Begin(context, StatusCodes.Status201Created);
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
        ServerCounters counters = _core.Counters;
        ServerCounters.Increment(ref counters.PublishRequests);
        ServerCounters.Increment(ref counters.BatchPublishRequests);
        try
        {
            RequestBodies.EnsureJson(context.Request);
            List<BatchSpec> specs = await RequestBodies.ReadJsonAsync(
                context,
                _core.Options.MaxRequestBodySize,
                StatusCodes.Status400BadRequest,
                _core.Options,
                static (root, options) => BatchSpec.ParseOneOrMany(root, options)).ConfigureAwait(false);

            var allChannels = new HashSet<string>(StringComparer.Ordinal);
            foreach (BatchSpec spec in specs)
            {
                foreach (string channel in spec.Channels)
                {
                    allChannels.Add(channel);
                }
            }

            (bool proceed, Dictionary<string, FaultRule>? channelFailures) =
                await _core.ApplyFaultsAsync(context, FaultTarget.BatchPublish, allChannels).ConfigureAwait(false);
            if (!proceed)
            {
                return;
            }

            // Validate every spec before storing anything, so a too-large spec fails the request atomically.
            for (int s = 0; s < specs.Count; s++)
            {
                EnsureSize(specs[s].Messages, "batch spec " + s.ToString(CultureInfo.InvariantCulture));
            }

            // One receipt time for the whole request, as for a channel publish.
            DateTimeOffset now = DateTimeOffset.UtcNow;
            long nowStopwatch = Stopwatch.GetTimestamp();
            var results = new List<BatchChannelOutcome>[specs.Count];
            for (int s = 0; s < specs.Count; s++)
            {
                BatchSpec spec = specs[s];
                var outcomes = new List<BatchChannelOutcome>(spec.Channels.Length);
                foreach (string channel in spec.Channels)
                {
                    outcomes.Add(PublishOne(spec, channel, channelFailures, now, nowStopwatch));
                }

                results[s] = outcomes;
            }

            Utf8JsonWriter writer = JsonOutput.Begin(context, StatusCodes.Status201Created);
            writer.WriteStartArray();
            foreach (List<BatchChannelOutcome> outcomes in results)
            {
                int failures = 0;
                foreach (BatchChannelOutcome outcome in outcomes)
                {
                    failures += outcome.Error is null ? 0 : 1;
                }

                writer.WriteStartObject();
                writer.WriteNumber("successCount"u8, outcomes.Count - failures);
                writer.WriteNumber("failureCount"u8, failures);
                writer.WriteStartArray("results"u8);
                foreach (BatchChannelOutcome outcome in outcomes)
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
            throw;
        }
    }

    private BatchChannelOutcome PublishOne(BatchSpec spec, string channel, Dictionary<string, FaultRule>? channelFailures, DateTimeOffset now, long nowStopwatch)
    {
        ServerCounters counters = _core.Counters;
        AblyException? error = null;
        string? invalidName = ChannelNames.Validate(channel);
        if (invalidName is not null)
        {
            error = new AblyException(400, AblyErrors.InvalidChannelName, invalidName + " (channel: \"" + channel + "\")");
        }
        else if (channelFailures is not null && channelFailures.TryGetValue(channel, out FaultRule? rule))
        {
            ServerCounters.Increment(ref counters.InjectedFailures);
            _core.Channels.GetOrAdd(channel).CountRejected(spec.Messages.Count);
            error = rule.ToException();
        }
        else
        {
            // Batch publish: every id is its own idempotency key, independently per channel.
            string[] ids = MessageIds.Assign(spec.Messages);
            ChannelState state = _core.Channels.GetOrAdd(channel);
            ChannelPublishResult result = state.Publish(
                new ChannelPublish(spec.Messages, ids, DedupMode.PerMessage, null, PublishKind.Batch, now, nowStopwatch),
                _core);
            if (result.Error is null)
            {
                _core.OnAccepted(result);
                return new BatchChannelOutcome(channel, MessageIds.ResponseMessageId(ids), result.Serials, null);
            }

            error = result.Error;
        }

        ServerCounters.Increment(ref counters.BatchChannelFailures);
        ServerCounters.Add(ref counters.RejectedMessages, spec.Messages.Count);
        return new BatchChannelOutcome(channel, null, null, error);
    }

    private void EnsureSize(List<IncomingMessage> messages, string what)
    {
        long size = IncomingMessage.TotalSize(messages);
        if (size > _core.Options.MaxMessageSize)
        {
            throw new AblyException(
                StatusCodes.Status413PayloadTooLarge,
                AblyErrors.MessageTooLarge,
                "Maximum size of messages that can be published at once exceeded: " + what + " is " + size.ToString(CultureInfo.InvariantCulture) + " bytes, the limit is " + _core.Options.MaxMessageSize.ToString(CultureInfo.InvariantCulture) + " bytes");
        }
    }

    private static void WriteSerials(Utf8JsonWriter writer, string?[] serials)
    {
        writer.WriteStartArray("serials"u8);
        foreach (string? serial in serials)
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
}
