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
        var mode = MessageIds.ForChannelPublish(messages, out var groupKey);
        var ids = MessageIds.Assign(messages);
        var state = core.Channels.GetOrAdd(channel);
        var publish = new ChannelPublish(messages, ids, mode, groupKey, PublishKind.Realtime, DateTimeOffset.UtcNow, Stopwatch.GetTimestamp(), connectionId);
        var reserved = PublishEndpoints.AccountReservation(core, state, publish);
        core.Rates.ReserveAccountMessages(reserved);
        var result = state.Publish(publish, core);
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
