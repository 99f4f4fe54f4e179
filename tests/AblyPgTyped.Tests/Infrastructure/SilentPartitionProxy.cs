using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace AblyPgTyped.Tests.Infrastructure;

/// <summary>
/// A TCP proxy to one upstream port that can be cut silently: <see cref="Partition"/> stops forwarding in both directions
/// without closing any socket (so neither end sees an error or a FIN, as when a network path goes dark), and
/// <see cref="Heal"/> resumes it, delivering what was held back. Connections accepted while partitioned get no bytes.
/// <see cref="Reset"/> is the loud failure instead: every connection open now is closed at once.
/// </summary>
public sealed class SilentPartitionProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _upstreamPort;
    private readonly CancellationTokenSource _closing = new();
    private readonly List<TcpClient> _sockets = [];
    private readonly Task _accepting;
    private volatile TaskCompletionSource _open = Opened();

    public SilentPartitionProxy(int upstreamPort)
    {
        _upstreamPort = upstreamPort;
        _listener.Start();
        _accepting = Task.Run(AcceptAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Stops forwarding; every socket stays open.</summary>
    public void Partition() => _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Forwards again, starting with what was held back.</summary>
    public void Heal() => _open.TrySetResult();

    /// <summary>Closes every connection open now, both ends, with a reset; new ones are accepted as before. Returns how many sockets were open.</summary>
    public int Reset()
    {
        lock (_sockets)
        {
            var open = 0;
            foreach (var socket in _sockets)
            {
                if (socket.Client is { Connected: true } client)
                {
                    open++;
                    try
                    {
                        client.LingerState = new LingerOption(true, 0); // RST, not FIN
                    }
                    catch (Exception e) when (e is SocketException or ObjectDisposedException)
                    {
                    }
                }

                socket.Dispose();
            }

            _sockets.Clear();
            return open;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync();
        _listener.Stop();
        Heal();
        lock (_sockets)
        {
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }
        }

        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _closing.Dispose();
    }

    private static TaskCompletionSource Opened()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    private async Task AcceptAsync()
    {
        while (!_closing.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_closing.Token);
            var upstream = new TcpClient();
            lock (_sockets)
            {
                _sockets.Add(client);
                _sockets.Add(upstream);
            }

            _ = Task.Run(async () =>
            {
                try
                {
                    await upstream.ConnectAsync(IPAddress.Loopback, _upstreamPort, _closing.Token);
                    await Task.WhenAll(PumpAsync(client, upstream), PumpAsync(upstream, client));
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or System.IO.IOException)
                {
                }
                finally
                {
                    client.Dispose();
                    upstream.Dispose();
                }
            });
        }
    }

    /// <summary>Copies one direction; while partitioned, what was read waits (and so does an end of stream).</summary>
    private async Task PumpAsync(TcpClient from, TcpClient to)
    {
        var buffer = new byte[64 * 1024];
        var source = from.GetStream();
        var target = to.GetStream();
        while (true)
        {
            await _open.Task.WaitAsync(_closing.Token);
            var read = await source.ReadAsync(buffer, _closing.Token);
            await _open.Task.WaitAsync(_closing.Token);
            if (read == 0)
            {
                to.Client.Shutdown(SocketShutdown.Send);
                return;
            }

            await target.WriteAsync(buffer.AsMemory(0, read), _closing.Token);
        }
    }
}
