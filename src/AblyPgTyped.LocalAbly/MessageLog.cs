using System.Collections.Concurrent;
using System.Threading;

namespace AblyPgTyped.LocalAbly;

/// <summary>Bounded cross-channel log of accepted messages (oldest dropped first). Lock-free so publishes on different channels never contend.</summary>
internal sealed class MessageLog
{
    private readonly int _capacity;
    private ConcurrentQueue<ReceivedMessage> _queue = new();
    private int _count;

    public MessageLog(int capacity) => _capacity = capacity;

    public void Add(ReceivedMessage message)
    {
        var queue = _queue;
        queue.Enqueue(message);
        if (Interlocked.Increment(ref _count) > _capacity && queue.TryDequeue(out _))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    /// <summary>Snapshot, in acceptance order per channel (and approximately across channels).</summary>
    public ReceivedMessage[] ToArray() => _queue.ToArray();

    public void Clear()
    {
        Volatile.Write(ref _queue, new ConcurrentQueue<ReceivedMessage>());
        Volatile.Write(ref _count, 0);
    }
}
