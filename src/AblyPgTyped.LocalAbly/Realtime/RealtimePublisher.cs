using System;
using System.Collections.Generic;
using System.Diagnostics;

namespace AblyPgTyped.LocalAbly;

/// <summary>
/// Publishing over a realtime connection (client MESSAGE, answered with ACK or NACK). The same rules as a REST channel
/// publish apply: size, idempotent ids, and the per-channel and account message rates; the account's request rate
/// does not, as it counts HTTP requests.
/// </summary>
internal static class RealtimePublisher
{
    public static ChannelPublishResult Publish(ServerCore core, string channel, List<IncomingMessage> messages, string connectionId)
    {
        PublishEndpoints.EnsureSize(core, messages, "this MESSAGE");
        DedupMode mode = MessageIds.ForChannelPublish(messages, out string? groupKey);
        string[] ids = MessageIds.Assign(messages);
        ChannelState state = core.Channels.GetOrAdd(channel);
        var publish = new ChannelPublish(messages, ids, mode, groupKey, PublishKind.Realtime, DateTimeOffset.UtcNow, Stopwatch.GetTimestamp(), connectionId);
        long reserved = PublishEndpoints.AccountReservation(core, state, publish);
        core.Rates.ReserveAccountMessages(reserved);
        ChannelPublishResult result = state.Publish(publish, core);
        core.Rates.SettleAccountMessages(reserved, result.Accepted.Length);
        if (result.Error is not null)
        {
            ServerCounters.Add(ref core.Counters.RejectedMessages, messages.Count);
            throw result.Error;
        }

        core.OnAccepted(result);
        return result;
    }
}
