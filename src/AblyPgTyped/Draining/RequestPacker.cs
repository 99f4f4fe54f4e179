using System;
using System.Collections.Generic;
using System.Diagnostics;
using AblyPgTyped.Publishing;

namespace AblyPgTyped.Draining;

/// <summary>
/// Packs the lanes that may send into batch publish requests, within the account's message and request rates and
/// Ably's request limits: which lanes travel together, how many messages each may take, and when to look again.
/// Not thread-safe: <see cref="PublishScheduler"/> calls it under its lock.
/// </summary>
/// <remarks>
/// Ready lanes are spread over the requests that may be in flight at once, rather than packed up to Ably's 100 channels
/// into one, so that building, sending, Ably's work and the answers of several requests overlap: a lane comes back
/// when its request is answered, and lanes that came back together travel together again. While request tokens are
/// scarce, fewer, fuller requests carry the same lanes.
/// </remarks>
internal sealed class RequestPacker(AblyOptions ably, RateBudget accountMessages, RateBudget accountRequests)
{
    private int _rotation;

    /// <summary>The account's message rate.</summary>
    public RateBudget AccountMessages { get; } = accountMessages;

    /// <summary>The account's request rate.</summary>
    public RateBudget AccountRequests { get; } = accountRequests;

    /// <summary>When the account's message rate last held a lane back; 0 when never.</summary>
    public long AccountLimitedAt { get; set; }

    /// <summary>
    /// Packs lanes of <paramref name="listed"/> that may send now into one request, reserving their budgets; null when
    /// none may send now.
    /// </summary>
    /// <param name="listed">The lanes with work, in a stable order (each request starts one further along).</param>
    /// <param name="now">The time the budgets are read at.</param>
    /// <param name="free">Requests that may still go in flight now, this one included.</param>
    /// <param name="lanes">Readies a lane and cuts its next messages.</param>
    /// <param name="wake">Lowered to when a lane or budget that held this request back frees up.</param>
    public List<LaneChunk>? Pack(List<ChannelLane> listed, long now, int free, ILaneChunks lanes, ref long wake)
    {
        var requestTokens = AccountRequests.Available(now);
        if (requestTokens < 1)
        {
            wake = Math.Min(wake, now + Ticks(AccountRequests.TimeUntil(1, now)));
            return null;
        }

        var accountMessages = AccountMessages.Available(now);
        List<LaneChunk>? chunks = null;
        long bytes = 2;
        var messages = 0;
        var count = listed.Count;
        var slots = Math.Max(1, Math.Min(free, requestTokens));
        var lanesPerRequest = Math.Min(ably.MaxChannelsPerRequest, Math.Max(1, (count + slots - 1) / slots));
        for (var n = 0; n < count && (chunks?.Count ?? 0) < lanesPerRequest; n++)
        {
            var lane = listed[(_rotation + n) % count];
            if (lane.Sending || (lane.Count == 0 && lane.Retained is null))
            {
                continue;
            }

            if (lane.NotBefore > now)
            {
                wake = Math.Min(wake, lane.NotBefore);
                continue;
            }

            if (lane.Solo && chunks is not null)
            {
                continue;
            }

            var left = accountMessages - messages;
            if (left < 1)
            {
                AccountLimitedAt = now;
                wake = Math.Min(wake, now + Ticks(AccountMessages.TimeUntil(messages + 1, now)));
                break;
            }

            if (!lanes.Prepare(lane, now, ref wake))
            {
                continue;
            }

            var chunk = lane.Retained;
            var channelTokens = lane.Budget.Available(now);
            if (chunk is not null)
            {
                if (channelTokens < chunk.MessageCount || left < chunk.MessageCount)
                {
                    wake = Math.Min(wake, now + Ticks(lane.Budget.TimeUntil(chunk.MessageCount, now)));
                    continue;
                }
            }
            else
            {
                if (channelTokens < 1)
                {
                    wake = Math.Min(wake, now + Ticks(lane.Budget.TimeUntil(1, now)));
                    continue;
                }

                // Share what the account allows now among the lanes that wait, so none is starved.
                var share = Math.Max(1, left / Math.Max(1, count - n));
                chunk = lanes.Cut(lane, Math.Min(Math.Min(channelTokens, share), Math.Min(lane.MaxMessages, ably.MaxMessagesPerChannelSpec)));
            }

            if (chunks is not null && bytes + 1 + chunk.Spec.Length > ably.MaxRequestBytes)
            {
                continue;
            }

            (chunks ??= []).Add(chunk);
            bytes += chunk.Spec.Length + (chunks.Count > 1 ? 1 : 0);
            messages += chunk.MessageCount;
            lane.Budget.Reserve(chunk.MessageCount);
            lane.Sending = true;
            lane.Retained = null;
            if (lane.Solo)
            {
                break;
            }
        }

        if (chunks is null)
        {
            return null;
        }

        _rotation = count == 0 ? 0 : (_rotation + 1) % count;
        AccountRequests.Reserve(1);
        AccountMessages.Reserve(messages);
        return chunks;
    }

    /// <summary>
    /// The answer to <paramref name="chunks"/>' request came back: whatever it says, the request has arrived by now,
    /// so its reservations are charged (see <see cref="RateBudget"/>), and its lanes may send again.
    /// </summary>
    public void Answered(List<LaneChunk> chunks, long now)
    {
        var messages = 0;
        foreach (var chunk in chunks)
        {
            chunk.Lane.Sending = false;
            chunk.Lane.Budget.Settle(chunk.MessageCount, now);
            messages += chunk.MessageCount;
        }

        AccountRequests.Settle(1, now);
        AccountMessages.Settle(messages, now);
    }

    /// <summary>Ably refused a request for the account's rates: assume nothing is left of either.</summary>
    public void AccountRefused(long now)
    {
        AccountMessages.Exhaust(now);
        AccountRequests.Exhaust(now);
        AccountLimitedAt = now;
    }

    public static long Ticks(TimeSpan delay) => (long)(delay.TotalSeconds * Stopwatch.Frequency);
}

/// <summary>What <see cref="RequestPacker"/> needs of whoever cuts the lanes' chunks.</summary>
internal interface ILaneChunks
{
    /// <summary>
    /// Readies <paramref name="lane"/> to send (what a crash left cut goes first); false while it must not send now,
    /// with <paramref name="wake"/> lowered to when to look again.
    /// </summary>
    bool Prepare(ChannelLane lane, long now, ref long wake);

    /// <summary>The lane's next messages, at most <paramref name="maxMessages"/>.</summary>
    LaneChunk Cut(ChannelLane lane, int maxMessages);
}
