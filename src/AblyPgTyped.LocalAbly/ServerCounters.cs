using System.Threading;

namespace AblyPgTyped.LocalAbly;

/// <summary>Uncapped server-wide counters, updated with Interlocked (fields, so they can be passed by ref).</summary>
internal sealed class ServerCounters
{
    public long PublishRequests;
    public long ChannelPublishRequests;
    public long BatchPublishRequests;
    public long AcceptedMessages;
    public long DuplicateMessages;
    public long RejectedRequests;
    public long RejectedMessages;
    public long BatchChannelFailures;
    public long InjectedFailures;
    public long DroppedConnections;
    public long DelayedRequests;
    public long HistoryRequests;
    public long AuthFailures;
    public long SseConnections;
    public long RateLimitedRequests;
    public long ChannelRateLimited;
    public long AccountMessageRateLimited;
    public long AccountRequestRateLimited;
    public long RealtimeConnectionsAccepted;
    public long RealtimeMessagesSent;

    public static void Add(ref long counter, long value) => Interlocked.Add(ref counter, value);

    public static void Increment(ref long counter) => Interlocked.Increment(ref counter);

    public static long Read(ref long counter) => Interlocked.Read(ref counter);

    public void Reset()
    {
        Interlocked.Exchange(ref PublishRequests, 0);
        Interlocked.Exchange(ref ChannelPublishRequests, 0);
        Interlocked.Exchange(ref BatchPublishRequests, 0);
        Interlocked.Exchange(ref AcceptedMessages, 0);
        Interlocked.Exchange(ref DuplicateMessages, 0);
        Interlocked.Exchange(ref RejectedRequests, 0);
        Interlocked.Exchange(ref RejectedMessages, 0);
        Interlocked.Exchange(ref BatchChannelFailures, 0);
        Interlocked.Exchange(ref InjectedFailures, 0);
        Interlocked.Exchange(ref DroppedConnections, 0);
        Interlocked.Exchange(ref DelayedRequests, 0);
        Interlocked.Exchange(ref HistoryRequests, 0);
        Interlocked.Exchange(ref AuthFailures, 0);
        Interlocked.Exchange(ref RateLimitedRequests, 0);
        Interlocked.Exchange(ref ChannelRateLimited, 0);
        Interlocked.Exchange(ref AccountMessageRateLimited, 0);
        Interlocked.Exchange(ref AccountRequestRateLimited, 0);
        Interlocked.Exchange(ref RealtimeConnectionsAccepted, 0);
        Interlocked.Exchange(ref RealtimeMessagesSent, 0);
    }
}
