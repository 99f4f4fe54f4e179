using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading;

namespace AblyPgTyped.LocalAbly;

/// <summary>
/// The realtime side of the server: resumable sessions by connection key, the open connections, and which connections
/// are attached to each channel, so that an accepted message wakes exactly those. Delivery itself is pulled by each
/// connection from the channel's history, so the publish path only flags channels.
/// </summary>
internal sealed class RealtimeHub
{
    private readonly object _gate = new();
    private readonly ConcurrentDictionary<string, RealtimeSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RealtimeConnection[]> _attached = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<RealtimeConnection, byte> _open = new();
    private readonly long _ttlTicks;
    private long _refuseUntil;

    public RealtimeHub(LocalAblyOptions options)
    {
        ConnectionStateTtl = options.ConnectionStateTtl;
        _ttlTicks = (long)(options.ConnectionStateTtl.TotalSeconds * Stopwatch.Frequency);
    }

    public TimeSpan ConnectionStateTtl { get; }

    public int OpenConnections => _open.Count;

    /// <summary>True while <see cref="DisconnectAll"/> asked new connections to be turned away.</summary>
    public bool Refusing => Stopwatch.GetTimestamp() < Volatile.Read(ref _refuseUntil);

    public RealtimeSession CreateSession(string? clientId, bool echo)
    {
        PruneSessions();
        var connectionId = MessageIds.RandomToken(10);
        var session = new RealtimeSession(connectionId, connectionId + "!" + MessageIds.RandomToken(16), clientId, echo);
        _sessions[session.ConnectionKey] = session;
        return session;
    }

    /// <summary>The session behind <paramref name="connectionKey"/>, if it is still resumable.</summary>
    public RealtimeSession? TryResume(string connectionKey)
    {
        PruneSessions();
        return _sessions.TryGetValue(connectionKey, out var session) && session.IsResumable(Stopwatch.GetTimestamp(), _ttlTicks)
            ? session
            : null;
    }

    public void Opened(RealtimeConnection connection) => _open[connection] = 0;

    public void Ended(RealtimeConnection connection) => _open.TryRemove(connection, out _);

    public void Attach(string channel, RealtimeConnection connection)
    {
        lock (_gate)
        {
            var current = _attached.TryGetValue(channel, out var list) ? list : Array.Empty<RealtimeConnection>();
            if (Array.IndexOf(current, connection) >= 0)
            {
                return;
            }

            var next = new RealtimeConnection[current.Length + 1];
            current.CopyTo(next, 0);
            next[^1] = connection;
            _attached[channel] = next;
        }
    }

    public void Detach(string channel, RealtimeConnection connection)
    {
        lock (_gate)
        {
            if (!_attached.TryGetValue(channel, out var current))
            {
                return;
            }

            var index = Array.IndexOf(current, connection);
            if (index < 0)
            {
                return;
            }

            if (current.Length == 1)
            {
                _attached.TryRemove(channel, out _);
                return;
            }

            var next = new RealtimeConnection[current.Length - 1];
            Array.Copy(current, 0, next, 0, index);
            Array.Copy(current, index + 1, next, index, current.Length - index - 1);
            _attached[channel] = next;
        }
    }

    /// <summary>Called after <paramref name="channel"/> accepted messages: wakes the connections attached to it.</summary>
    public void Notify(string channel)
    {
        if (_attached.TryGetValue(channel, out var connections))
        {
            foreach (var connection in connections)
            {
                connection.ChannelUpdated(channel);
            }
        }
    }

    /// <summary>
    /// Drops every open connection as a network failure would (no CLOSED, no close frame), keeping the sessions resumable;
    /// new connections are turned away with DISCONNECTED for <paramref name="refuseFor"/>. Returns how many were dropped.
    /// </summary>
    public int DisconnectAll(TimeSpan refuseFor)
    {
        Volatile.Write(ref _refuseUntil, Stopwatch.GetTimestamp() + (long)(refuseFor.TotalSeconds * Stopwatch.Frequency));
        var dropped = 0;
        foreach (var connection in _open.Keys)
        {
            connection.Abort();
            dropped++;
        }

        return dropped;
    }

    /// <summary>Ends every connection at server shutdown.</summary>
    public void AbortAll()
    {
        foreach (var connection in _open.Keys)
        {
            connection.Abort();
        }
    }

    private void PruneSessions()
    {
        var now = Stopwatch.GetTimestamp();
        foreach (var pair in _sessions)
        {
            if (!pair.Value.IsResumable(now, _ttlTicks))
            {
                _sessions.TryRemove(pair);
            }
        }
    }
}
