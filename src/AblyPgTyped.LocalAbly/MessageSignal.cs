using System.Threading;
using System.Threading.Tasks;

namespace AblyPgTyped.LocalAbly;

/// <summary>Wakes every waiter after messages are accepted; costs nothing on the publish path while nobody waits.</summary>
internal sealed class MessageSignal
{
    private TaskCompletionSource _next = NewSource();
    private int _waiters;

    public bool HasWaiters => Volatile.Read(ref _waiters) > 0;

    /// <summary>The task to await; take it BEFORE checking the condition so no pulse is missed.</summary>
    public Task Current => Volatile.Read(ref _next).Task;

    public void AddWaiter() => Interlocked.Increment(ref _waiters);

    public void RemoveWaiter() => Interlocked.Decrement(ref _waiters);

    public void Pulse()
    {
        if (HasWaiters)
        {
            Interlocked.Exchange(ref _next, NewSource()).TrySetResult();
        }
    }

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
