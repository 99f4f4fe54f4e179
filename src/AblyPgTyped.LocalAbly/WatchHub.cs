using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Channels;

namespace AblyPgTyped.LocalAbly;

/// <summary>One live watcher (an SSE stream or <see cref="LocalAblyServer.WatchAsync"/>): a channel filter and a bounded buffer.</summary>
internal sealed class Watcher : IDisposable
{
    private readonly WatchHub _hub;
    private readonly HashSet<string>? _channels;

    public Watcher(WatchHub hub, HashSet<string>? channels, int capacity)
    {
        _hub = hub;
        _channels = channels;
        // A slow reader loses its oldest messages rather than slowing down publishers.
        Buffer = Channel.CreateBounded<ReceivedMessage>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
            SingleWriter = false,
        });
    }

    public Channel<ReceivedMessage> Buffer { get; }

    public bool Wants(string channel) => _channels is null || _channels.Contains(channel);

    public void Dispose()
    {
        _hub.Remove(this);
        Buffer.Writer.TryComplete();
    }
}

/// <summary>Fans accepted messages out to watchers. The watcher list is copy-on-write so publishing reads it without locking.</summary>
internal sealed class WatchHub
{
    private readonly object _gate = new();
    private Watcher[] _watchers = Array.Empty<Watcher>();

    public int Count => Volatile.Read(ref _watchers).Length;

    /// <summary>Registers a watcher; dispose it to unregister.</summary>
    /// <param name="channels">Channels to receive, or null for every channel.</param>
    /// <param name="capacity">Buffered messages before the oldest are dropped.</param>
    public Watcher Add(HashSet<string>? channels, int capacity)
    {
        var watcher = new Watcher(this, channels, capacity);
        lock (_gate)
        {
            var next = new Watcher[_watchers.Length + 1];
            Array.Copy(_watchers, next, _watchers.Length);
            next[^1] = watcher;
            Volatile.Write(ref _watchers, next);
        }

        return watcher;
    }

    public void Remove(Watcher watcher)
    {
        lock (_gate)
        {
            var index = Array.IndexOf(_watchers, watcher);
            if (index < 0)
            {
                return;
            }

            var next = new Watcher[_watchers.Length - 1];
            Array.Copy(_watchers, 0, next, 0, index);
            Array.Copy(_watchers, index + 1, next, index, _watchers.Length - index - 1);
            Volatile.Write(ref _watchers, next);
        }
    }

    public void Publish(ReceivedMessage[] messages)
    {
        var watchers = Volatile.Read(ref _watchers);
        if (watchers.Length == 0 || messages.Length == 0)
        {
            return;
        }

        foreach (var watcher in watchers)
        {
            if (!watcher.Wants(messages[0].Channel))
            {
                continue; // one publish result always belongs to one channel
            }

            foreach (var message in messages)
            {
                watcher.Buffer.Writer.TryWrite(message);
            }
        }
    }

    public void CompleteAll()
    {
        foreach (var watcher in Volatile.Read(ref _watchers))
        {
            watcher.Buffer.Writer.TryComplete();
        }
    }
}
