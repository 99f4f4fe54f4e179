using System.Diagnostics;
using System.Threading;

namespace AblyPgTyped.LocalAbly;

/// <summary>
/// What survives one WebSocket: the connection's identity and the publish serials already handled. A client that
/// reconnects with <c>resume=&lt;connectionKey&gt;</c> within the connection state TTL gets the same connection back.
/// Channel continuity does not live here: ably-js re-attaches every channel after any reconnect with the
/// <c>channelSerial</c> it last saw, and delivery resumes from there (see <see cref="RealtimeConnection"/>).
/// </summary>
internal sealed class RealtimeSession
{
    private readonly object _gate = new();
    private RealtimeConnection? _connection;
    private long _disconnectedAt;
    private long _lastMsgSerial = -1;

    public RealtimeSession(string connectionId, string connectionKey, string? clientId, bool echo)
    {
        ConnectionId = connectionId;
        ConnectionKey = connectionKey;
        ClientId = clientId;
        Echo = echo;
    }

    public string ConnectionId { get; }

    public string ConnectionKey { get; }

    public string? ClientId { get; }

    /// <summary>False when the client connected with <c>echo=false</c>: its own publishes are not delivered back to it.</summary>
    public bool Echo { get; }

    /// <summary>Set once the client sent CLOSE: the connection cannot be resumed.</summary>
    public bool Closed { get; private set; }

    /// <summary>Makes <paramref name="connection"/> the session's transport; returns the one it replaces (to abort), if any.</summary>
    public RealtimeConnection? Activate(RealtimeConnection connection)
    {
        lock (_gate)
        {
            var previous = _connection;
            _connection = connection;
            return previous;
        }
    }

    /// <summary>Records that <paramref name="connection"/> ended; the session stays resumable for the TTL unless it was closed.</summary>
    public void Deactivate(RealtimeConnection connection, bool closed)
    {
        lock (_gate)
        {
            if (closed)
            {
                Closed = true;
            }

            if (_connection == connection)
            {
                _connection = null;
                _disconnectedAt = Stopwatch.GetTimestamp();
            }
        }
    }

    /// <summary>True while a transport is open, or it ended less than <paramref name="ttlTicks"/> (Stopwatch ticks) ago.</summary>
    public bool IsResumable(long now, long ttlTicks)
    {
        lock (_gate)
        {
            return !Closed && (_connection is not null || now - _disconnectedAt < ttlTicks);
        }
    }

    /// <summary>
    /// True the first time a publish with <paramref name="msgSerial"/> is seen. ably-js resends unacknowledged
    /// publishes with their serial after a resume; those are acknowledged again without being published twice.
    /// </summary>
    public bool TryStartPublish(long msgSerial)
    {
        var seen = Volatile.Read(ref _lastMsgSerial);
        while (msgSerial > seen)
        {
            var found = Interlocked.CompareExchange(ref _lastMsgSerial, msgSerial, seen);
            if (found == seen)
            {
                return true;
            }

            seen = found;
        }

        return false;
    }
}
