using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace AblyPgTyped.LocalAbly;

/// <summary>
/// One realtime WebSocket. A receive loop reads the client's ProtocolMessages; a send loop, the only writer, owns the
/// channel subscriptions and does everything that orders output: ATTACHED before the replay, replay before live
/// messages, heartbeats. Delivery is pulled: a publish only flags the channel, and the send loop reads the channel's
/// history after the subscription's cursor, so a message is delivered once and in order whether it was published
/// before the attach (rewind, resume) or after it.
/// </summary>
internal sealed class RealtimeConnection
{
    private const int MessagesPerFrame = 100;
    private readonly ServerCore _core;
    private readonly WebSocket _socket;
    private readonly RealtimeSession _session;
    private readonly TimeSpan _heartbeatInterval;
    private readonly Channel<Work> _work = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, byte> _pendingPulls = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ChannelSubscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly ProtocolWriter _sendWriter = new();
    private readonly ProtocolWriter _receiveWriter = new();
    private readonly CancellationTokenSource _stop;
    private long _lastSend = Stopwatch.GetTimestamp();
    private bool _closedByClient;

    public RealtimeConnection(ServerCore core, WebSocket socket, RealtimeSession session, TimeSpan heartbeatInterval, CancellationToken stopping)
    {
        _core = core;
        _socket = socket;
        _session = session;
        _heartbeatInterval = heartbeatInterval;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(stopping);
    }

    private enum WorkKind
    {
        Frame,
        Attach,
        Detach,
        Pull,
        HeartbeatTick,
        Close,
        Fatal,
    }

    public RealtimeSession Session => _session;

    /// <summary>Called by the hub, on the publishing thread, when an attached channel accepted messages.</summary>
    public void ChannelUpdated(string channel)
    {
        if (_pendingPulls.TryAdd(channel, 0))
        {
            _work.Writer.TryWrite(new Work(WorkKind.Pull, channel));
        }
    }

    /// <summary>Drops the socket without a goodbye, as a network failure would.</summary>
    public void Abort()
    {
        _socket.Abort();
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already ended.
        }
    }

    /// <summary>Sends CONNECTED and serves the connection until it ends.</summary>
    public async Task RunAsync(ReadOnlyMemory<byte> connected)
    {
        _core.Realtime.Opened(this);
        try
        {
            _work.Writer.TryWrite(Work.FrameOf(connected));
            var send = SendLoopAsync();
            var receive = ReceiveLoopAsync();
            var heartbeat = HeartbeatTicksAsync();
            if (await Task.WhenAny(send, receive).ConfigureAwait(false) == send)
            {
                // After CLOSED or a fatal ERROR, let the client read it and answer the close frame: cancelling a pending
                // receive aborts the socket, and a reset can discard what the client has not read yet.
                await Task.WhenAny(receive, Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false);
            }

            await _stop.CancelAsync().ConfigureAwait(false);
            _work.Writer.TryComplete();
            await SwallowAsync(send).ConfigureAwait(false);
            await SwallowAsync(receive).ConfigureAwait(false);
            await SwallowAsync(heartbeat).ConfigureAwait(false);
        }
        finally
        {
            foreach (var channel in _subscriptions.Keys)
            {
                _core.Realtime.Detach(channel, this);
            }

            _core.Realtime.Ended(this);
            _session.Deactivate(this, _closedByClient);
            _stop.Dispose();
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                _socket.Abort();
            }
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var token = _stop.Token;
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var frame = new ArrayBufferWriter<byte>(16 * 1024);
        try
        {
            while (!token.IsCancellationRequested)
            {
                var result = await _socket.ReceiveAsync(chunk.AsMemory(), token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return; // the client went away without CLOSE: the session stays resumable
                }

                frame.Write(chunk.AsSpan(0, result.Count));
                if (frame.WrittenCount > ProtocolWriter.MaxFrameSize)
                {
                    Fatal(new AblyException(400, AblyErrors.MessageTooLarge, "WebSocket frame over the maximum frame size of " + ProtocolWriter.MaxFrameSize + " bytes"));
                    return;
                }

                if (!result.EndOfMessage)
                {
                    continue;
                }

                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    Fatal(new AblyException(400, AblyErrors.BadRequest, "Binary (msgpack) frames are not supported: the local Ably server speaks the JSON protocol only; set useBinaryProtocol: false"));
                    return;
                }

                ClientProtocolMessage message;
                try
                {
                    message = ClientProtocolMessage.Parse(frame.WrittenSpan);
                }
                catch (AblyException ex)
                {
                    Fatal(ex);
                    return;
                }
                finally
                {
                    frame.ResetWrittenCount();
                }

                if (!Handle(message))
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // The socket was dropped or the server is stopping.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    /// <summary>Handles one client message on the receive loop; false ends the loop.</summary>
    private bool Handle(ClientProtocolMessage message)
    {
        switch (message.Action)
        {
            case ProtocolAction.Heartbeat:
                Enqueue(_receiveWriter.Heartbeat(message.Id));
                return true;
            case ProtocolAction.Attach:
            case ProtocolAction.Detach:
                if (message.Channel is null)
                {
                    Fatal(new AblyException(400, AblyErrors.BadRequest, message.Action.ToString().ToUpperInvariant() + " without a channel"));
                    return false;
                }

                if (ChannelNames.Validate(message.Channel) is { } problem)
                {
                    Enqueue(_receiveWriter.Error(new AblyException(400, AblyErrors.InvalidChannelName, problem + " (channel: \"" + message.Channel + "\")"), message.Channel));
                    return true;
                }

                _work.Writer.TryWrite(new Work(message.Action == ProtocolAction.Attach ? WorkKind.Attach : WorkKind.Detach, message.Channel, Message: message));
                return true;
            case ProtocolAction.Message:
                Publish(message);
                return true;
            case ProtocolAction.Close:
                _work.Writer.TryWrite(new Work(WorkKind.Close));
                return true;
            case ProtocolAction.Disconnect:
                return false;
            case ProtocolAction.Auth:
                // Tokens issued by /_local/token last as long as the server: there is nothing to renew.
                return true;
            default:
                Unsupported(message);
                return true;
        }
    }

    private void Publish(ClientProtocolMessage message)
    {
        if (message.MsgSerial is not { } msgSerial)
        {
            Enqueue(_receiveWriter.Error(new AblyException(400, AblyErrors.BadRequest, "MESSAGE without msgSerial"), message.Channel));
            return;
        }

        if (!_session.TryStartPublish(msgSerial))
        {
            Enqueue(_receiveWriter.Ack(msgSerial, null)); // a resend after resume: already published
            return;
        }

        try
        {
            if (message.MessagesError is { } invalid)
            {
                throw invalid;
            }

            if (message.Channel is null)
            {
                throw new AblyException(400, AblyErrors.BadRequest, "MESSAGE without a channel");
            }

            ChannelNames.EnsureValid(message.Channel);
            if (message.Messages is not { Count: > 0 } messages)
            {
                throw new AblyException(400, AblyErrors.InvalidBody, "Invalid message: the MESSAGE holds no messages");
            }

            var result = RealtimePublisher.Publish(_core, message.Channel, messages, _session.ConnectionId);
            Enqueue(_receiveWriter.Ack(msgSerial, result.Serials));
        }
        catch (AblyException ex)
        {
            Enqueue(_receiveWriter.Nack(msgSerial, ex));
        }
    }

    private void Unsupported(ClientProtocolMessage message)
    {
        var error = new AblyException(400, AblyErrors.BadRequest, "The local Ably server does not support " + message.Action.ToString().ToUpperInvariant()
            + " (action " + (int)message.Action + "); it supports connect, attach, detach, subscribe, publish, heartbeat and close");
        if (message.MsgSerial is { } msgSerial)
        {
            Enqueue(_receiveWriter.Nack(msgSerial, error)); // presence and other acknowledged actions fail alone
        }
        else if (message.Channel is not null)
        {
            Enqueue(_receiveWriter.Error(error, message.Channel));
        }
        else
        {
            _core.Options.Log?.Invoke("Realtime connection " + _session.ConnectionId + ": ignored unsupported " + message.Action);
        }
    }

    private void Fatal(AblyException error) => _work.Writer.TryWrite(new Work(WorkKind.Fatal, Error: error));

    private void Enqueue(ReadOnlyMemory<byte> frame) => _work.Writer.TryWrite(Work.FrameOf(frame));

    private async Task HeartbeatTicksAsync()
    {
        // Ticks at half the interval and sends only when idle that long, so nothing is ever silent longer than the interval.
        using var timer = new PeriodicTimer(_heartbeatInterval / 2);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                _work.Writer.TryWrite(new Work(WorkKind.HeartbeatTick));
            }
        }
        catch (OperationCanceledException)
        {
            // Connection ended.
        }
    }

    private async Task SendLoopAsync()
    {
        var token = _stop.Token;
        var reader = _work.Reader;
        try
        {
            while (await reader.WaitToReadAsync(token).ConfigureAwait(false))
            {
                while (reader.TryRead(out var work))
                {
                    switch (work.Kind)
                    {
                        case WorkKind.Frame:
                            await SendAsync(work.Frame, token).ConfigureAwait(false);
                            break;
                        case WorkKind.Attach:
                            await AttachAsync(work.Message!, token).ConfigureAwait(false);
                            break;
                        case WorkKind.Detach:
                            DetachChannel(work.Channel!);
                            await SendAsync(_sendWriter.Detached(work.Channel!), token).ConfigureAwait(false);
                            break;
                        case WorkKind.Pull:
                            _pendingPulls.TryRemove(work.Channel!, out _);
                            if (_subscriptions.TryGetValue(work.Channel!, out var subscription))
                            {
                                await DeliverAsync(subscription, token).ConfigureAwait(false);
                            }

                            break;
                        case WorkKind.HeartbeatTick:
                            if (Stopwatch.GetElapsedTime(_lastSend) >= _heartbeatInterval / 2)
                            {
                                await SendAsync(_sendWriter.Heartbeat(null), token).ConfigureAwait(false);
                            }

                            break;
                        case WorkKind.Close:
                            _closedByClient = true;
                            await SendAsync(_sendWriter.Closed(), token).ConfigureAwait(false);
                            await CloseSocketAsync().ConfigureAwait(false);
                            return;
                        case WorkKind.Fatal:
                            _closedByClient = true;
                            await SendAsync(_sendWriter.Error(work.Error!), token).ConfigureAwait(false);
                            await CloseSocketAsync().ConfigureAwait(false);
                            return;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // The socket was dropped or the server is stopping.
        }
    }

    private async Task AttachAsync(ClientProtocolMessage attach, CancellationToken token)
    {
        var name = attach.Channel!;
        // Registered before the channel is read, so a message accepted meanwhile is pulled, never missed.
        _core.Realtime.Attach(name, this);
        var state = _core.Channels.TryGet(name);
        var flags = (attach.Flags & ProtocolFlags.ModeMask) is var requested and not 0 ? requested & ProtocolFlags.SupportedModes : ProtocolFlags.SupportedModes;
        AblyException? error = null;
        ChannelSubscription subscription;
        var parameters = attach.Params;

        if (attach.ChannelSerial is { } serial)
        {
            // A re-attach (after a reconnect, or an unprompted DETACHED): continue right after the client's position.
            (subscription, var resumed, error) = Resume(name, state, serial);
            if (resumed)
            {
                flags |= ProtocolFlags.Resumed;
            }
        }
        else
        {
            subscription = new ChannelSubscription(name, state?.Incarnation, state?.LastSequence ?? 0);
            if (parameters is not null && parameters.TryGetValue("rewind", out var rewindText))
            {
                try
                {
                    var rewind = RewindParameter.Parse(rewindText);
                    if (state is not null)
                    {
                        subscription.Cursor = rewind.CursorIn(state, DateTimeOffset.UtcNow);
                        if (subscription.Cursor < state.LastSequence)
                        {
                            flags |= ProtocolFlags.HasBacklog;
                        }
                    }
                }
                catch (AblyException ex)
                {
                    DetachChannel(name);
                    await SendAsync(_sendWriter.Error(ex, name), token).ConfigureAwait(false);
                    return;
                }
            }
        }

        _subscriptions[name] = subscription;
        await SendAsync(_sendWriter.Attached(name, flags, subscription.Serial, parameters, error), token).ConfigureAwait(false);
        await DeliverAsync(subscription, token).ConfigureAwait(false);
    }

    private static (ChannelSubscription Subscription, bool Resumed, AblyException? Error) Resume(string name, ChannelState? state, string serial)
    {
        if (ChannelPosition.TryParse(serial, out var position))
        {
            if (position.Incarnation == ChannelPosition.NoChannel && (state is null || state.Covers(0)))
            {
                return (new ChannelSubscription(name, state?.Incarnation, 0), true, null);
            }

            if (state is not null && position.Incarnation == state.Incarnation && position.Sequence <= state.LastSequence)
            {
                if (state.Covers(position.Sequence))
                {
                    return (new ChannelSubscription(name, state.Incarnation, position.Sequence), true, null);
                }

                return (new ChannelSubscription(name, state.Incarnation, state.LastSequence), false,
                    new AblyException(404, AblyErrors.UnableToRecover, "Unable to recover channel (messages expired): messages published since channelSerial " + serial + " are no longer retained; delivery continues from now"));
            }
        }

        return (new ChannelSubscription(name, state?.Incarnation, state?.LastSequence ?? 0), false,
            new AblyException(404, AblyErrors.UnableToRecover, "Unable to recover channel: channelSerial " + serial + " is unknown here (the local server restarted or was reset); delivery continues from now"));
    }

    private void DetachChannel(string name)
    {
        _subscriptions.Remove(name);
        _core.Realtime.Detach(name, this);
    }

    /// <summary>Sends what the channel accepted after the subscription's cursor, a frame of up to 100 messages at a time.</summary>
    private async Task DeliverAsync(ChannelSubscription subscription, CancellationToken token)
    {
        var state = _core.Channels.TryGet(subscription.Channel);
        if (state is null)
        {
            return;
        }

        if (subscription.Incarnation != state.Incarnation)
        {
            // First messages of a channel that did not exist at attach, or the server was reset: all of it is new.
            subscription.Incarnation = state.Incarnation;
            subscription.Cursor = 0;
        }

        var batch = state.ReadAfter(subscription.Cursor, MessagesPerFrame, out var gap);
        if (gap)
        {
            // This connection fell further behind than the channel retains: say so as Ably does, with an ATTACHED update.
            var lost = new AblyException(404, AblyErrors.UnableToRecover, "Unable to recover channel (message limit exceeded): the connection fell behind the channel's retained history; some messages were skipped");
            await SendAsync(_sendWriter.Attached(subscription.Channel, ProtocolFlags.SupportedModes, subscription.Serial, null, lost), token).ConfigureAwait(false);
        }

        if (batch.Count == 0)
        {
            return;
        }

        subscription.Cursor = batch[^1].ChannelSequence;
        if (!_session.Echo)
        {
            batch.RemoveAll(m => m.ConnectionId == _session.ConnectionId);
        }

        if (batch.Count > 0)
        {
            await SendAsync(_sendWriter.Message(subscription.Channel, subscription.Serial, batch), token).ConfigureAwait(false);
            ServerCounters.Add(ref _core.Counters.RealtimeMessagesSent, batch.Count);
        }

        if (subscription.Cursor < state.LastSequence)
        {
            ChannelUpdated(subscription.Channel); // more to send: queue it behind other work so no channel starves
        }
    }

    private async Task SendAsync(ReadOnlyMemory<byte> frame, CancellationToken token)
    {
        await _socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, token).ConfigureAwait(false);
        _lastSend = Stopwatch.GetTimestamp();
    }

    private async Task CloseSocketAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // The client is gone already.
        }
    }

    private static async Task SwallowAsync(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // Ending anyway.
        }
    }

    private readonly record struct Work(WorkKind Kind, string? Channel = null, ReadOnlyMemory<byte> Frame = default, ClientProtocolMessage? Message = null, AblyException? Error = null)
    {
        public static Work FrameOf(ReadOnlyMemory<byte> frame) => new(WorkKind.Frame, Frame: frame.ToArray());
    }
}
