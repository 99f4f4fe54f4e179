using System;
using System.Globalization;
using System.Net.WebSockets;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;

namespace AblyPgTyped.LocalAbly;

/// <summary>
/// Ably's realtime endpoint: a WebSocket at <c>/</c>, as ably-js opens it
/// (<c>?key=…&amp;format=json&amp;heartbeats=…&amp;v=…[&amp;resume=&lt;connectionKey&gt;]</c>). Every refusal is a
/// ProtocolMessage on an accepted socket, as Ably does, because a client reads nothing from a refused upgrade.
/// </summary>
internal sealed class RealtimeEndpoint
{
    private static readonly TimeSpan MinHeartbeatInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxHeartbeatInterval = TimeSpan.FromMinutes(30);
    private readonly ServerCore _core;

    public RealtimeEndpoint(ServerCore core) => _core = core;

    public async Task AcceptAsync(HttpContext context)
    {
        var query = context.Request.Query;
        using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        var stopping = _core.Stopping.Token;
        var writer = new ProtocolWriter();

        if (string.Equals(query["format"].ToString(), "msgpack", StringComparison.OrdinalIgnoreCase))
        {
            var refusal = MsgPackRefusal.Error(AblyErrors.BadRequest, 400, "The local Ably server speaks the JSON protocol only: set useBinaryProtocol: false in the client options (ably-js defaults to msgpack in Node)");
            await RefuseAsync(socket, refusal, WebSocketMessageType.Binary, stopping).ConfigureAwait(false);
            return;
        }

        try
        {
            _core.Auth.Authenticate(context.Request);
        }
        catch (AblyException ex)
        {
            ServerCounters.Increment(ref _core.Counters.AuthFailures);
            await RefuseAsync(socket, writer.Error(ex), WebSocketMessageType.Text, stopping).ConfigureAwait(false);
            return;
        }

        if (_core.Realtime.Refusing)
        {
            var refused = new AblyException(503, AblyErrors.Disconnected, "The local Ably server is refusing realtime connections for a while (test hook: DisconnectRealtimeClients)");
            await RefuseAsync(socket, writer.Disconnected(refused), WebSocketMessageType.Text, stopping).ConfigureAwait(false);
            return;
        }

        var heartbeat = HeartbeatInterval(query);
        var clientId = NullIfEmpty(query["clientId"].ToString());
        var echo = !string.Equals(query["echo"].ToString(), "false", StringComparison.OrdinalIgnoreCase);
        var resumeKey = NullIfEmpty(query["resume"].ToString()) ?? NullIfEmpty(query["recover"].ToString());
        var session = resumeKey is null ? null : _core.Realtime.TryResume(resumeKey);
        AblyException? resumeError = null;
        if (session is null)
        {
            session = _core.Realtime.CreateSession(clientId, echo);
            if (resumeKey is not null)
            {
                // RTN15c7: a new connection id plus the reason; ably-js then re-attaches its channels with their serials.
                resumeError = new AblyException(400, AblyErrors.UnableToRecover, "Unable to resume connection: its key is unknown or older than the connection state TTL ("
                    + _core.Realtime.ConnectionStateTtl.TotalSeconds.ToString(CultureInfo.InvariantCulture) + " s); a new connection was made");
            }
        }

        ServerCounters.Increment(ref _core.Counters.RealtimeConnectionsAccepted);
        var connection = new RealtimeConnection(_core, socket, session, heartbeat, stopping);
        session.Activate(connection)?.Abort(); // a resume supersedes a transport the server still thinks is open
        var details = new ConnectionDetails(session.ConnectionKey, session.ClientId, _core.Realtime.ConnectionStateTtl, heartbeat, _core.MaxMessageSize);
        await connection.RunAsync(writer.Connected(session.ConnectionId, details, resumeError)).ConfigureAwait(false);
    }

    /// <summary>The heartbeat interval: the server's, or the client's <c>heartbeatInterval</c> transport param (ms).</summary>
    private TimeSpan HeartbeatInterval(IQueryCollection query)
    {
        var interval = _core.Options.RealtimeHeartbeatInterval;
        if (long.TryParse(query["heartbeatInterval"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
        {
            interval = TimeSpan.FromMilliseconds(ms);
        }

        return interval < MinHeartbeatInterval ? MinHeartbeatInterval : interval > MaxHeartbeatInterval ? MaxHeartbeatInterval : interval;
    }

    private static async Task RefuseAsync(WebSocket socket, ReadOnlyMemory<byte> frame, WebSocketMessageType type, CancellationToken stopping)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await socket.SendAsync(frame, type, endOfMessage: true, timeout.Token).ConfigureAwait(false);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            socket.Abort();
        }
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
