using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace AblyPgTyped.LocalAbly;

/// <summary>
/// A local, in-memory, Ably-compatible REST endpoint (JSON only, plain HTTP on 127.0.0.1) for development,
/// tests and benchmarks, with failure injection and observation APIs.
/// </summary>
/// <example>
/// <code>
/// await using var server = await LocalAblyServer.StartAsync(new LocalAblyOptions { ApiKeys = { "app.key:secret" } });
/// // point a client at server.BaseAddress, then:
/// var received = await server.WaitForMessagesAsync("orders", 3, TimeSpan.FromSeconds(5));
/// </code>
/// </example>
public sealed class LocalAblyServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ServerCore _core;
    private int _stopped;

    private LocalAblyServer(WebApplication app, ServerCore core, Uri baseAddress)
    {
        _app = app;
        _core = core;
        BaseAddress = baseAddress;
    }

    /// <summary>Raised on the publishing request's thread with the messages one channel just accepted (duplicates excluded). Keep handlers fast.</summary>
    public event Action<IReadOnlyList<ReceivedMessage>>? MessagesAccepted
    {
        add => _core.Accepted += value;
        remove => _core.Accepted -= value;
    }

    /// <summary>Base URL, e.g. <c>http://127.0.0.1:54321</c> (no trailing path).</summary>
    public Uri BaseAddress { get; }

    /// <summary>The TCP port actually bound.</summary>
    public int Port => BaseAddress.Port;

    /// <summary>A copy of the options the server was started with (changing it has no effect on the running server).</summary>
    public LocalAblyOptions Options => _core.Options.Clone();

    /// <summary>
    /// The limits in force now: the plan's (<see cref="LocalAblyOptions.Plan"/>) with the option overrides, and the
    /// per-channel rate set at run time through <see cref="FaultInjector.SetRateLimit"/> if any. Also served as <c>GET /_local/limits</c>.
    /// </summary>
    public LocalAblyLimits Limits => _core.Rates.Limits;

    /// <summary>Failure injection (errors, dropped connections, latency, per-channel rate override).</summary>
    public FaultInjector Faults => _core.Faults;

    /// <summary>Messages accepted across all channels since start or <see cref="Reset"/> (uncapped).</summary>
    public long AcceptedMessageCount => ServerCounters.Read(ref _core.Counters.AcceptedMessages);

    /// <summary>Starts a server; it listens until disposed.</summary>
    public static async Task<LocalAblyServer> StartAsync(LocalAblyOptions? options = null, CancellationToken cancellationToken = default)
    {
        options = (options ?? new LocalAblyOptions()).Clone();
        options.Validate();
        var core = new ServerCore(options);

        // The empty builder brings no configuration sources, logging providers or console lifetime: an embeddable, quiet host.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(LocalAblyServer).Assembly.GetName().Name,
        });
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = null; // enforced by us, with Ably error codes
            kestrel.Listen(IPAddress.Loopback, options.Port, listen => listen.Protocols = HttpProtocols.Http1);
        });

        var app = builder.Build();
        // Realtime heartbeats are ProtocolMessages (browsers cannot see WebSocket pings), so no ping frames are needed.
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
        var router = new RequestRouter(core);
        app.Run(router.HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var address = addresses?.FirstOrDefault() ?? throw new InvalidOperationException("Kestrel reported no listening address.");
        var bound = new Uri(address);
        var baseAddress = new Uri("http://127.0.0.1:" + bound.Port.ToString(CultureInfo.InvariantCulture));
        options.Log?.Invoke("Local Ably listening on " + baseAddress + " (" + (core.Auth.Enabled ? options.ApiKeys.Count + " key(s)" : "auth disabled") + "); "
            + options.Plan + " plan, limits in force: " + core.Rates.Limits);
        return new LocalAblyServer(app, core, baseAddress);
    }

    /// <summary>A snapshot of all counters.</summary>
    public LocalAblyStats GetStats() => _core.GetStats();

    /// <summary>The most recent accepted messages across all channels (up to <see cref="LocalAblyOptions.MaxRecordedMessages"/>), in acceptance order.</summary>
    public IReadOnlyList<ReceivedMessage> GetMessages() => _core.Recorded.ToArray();

    /// <summary>The retained messages of one channel (up to <see cref="LocalAblyOptions.MaxHistoryPerChannel"/>), oldest first.</summary>
    public IReadOnlyList<ReceivedMessage> GetMessages(string channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return _core.Channels.TryGet(channel)?.Snapshot() ?? Array.Empty<ReceivedMessage>();
    }

    /// <summary>Names of the channels that have been published to.</summary>
    public IReadOnlyList<string> GetChannelNames()
    {
        var states = _core.Channels.All();
        var names = new List<string>(states.Count);
        foreach (var state in states)
        {
            names.Add(state.Name);
        }

        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>Messages accepted on one channel since start or <see cref="Reset"/> (uncapped).</summary>
    public long GetAcceptedMessageCount(string channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return _core.Channels.TryGet(channel)?.AcceptedCount ?? 0;
    }

    /// <summary>
    /// Waits until at least <paramref name="count"/> messages have been accepted in total (since start or <see cref="Reset"/>),
    /// then returns <see cref="GetMessages()"/>. Throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.
    /// </summary>
    public async Task<IReadOnlyList<ReceivedMessage>> WaitForMessagesAsync(int count, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        await WaitUntilAsync(() => AcceptedMessageCount >= count, () => "messages in total", count, () => AcceptedMessageCount, timeout, cancellationToken).ConfigureAwait(false);
        return GetMessages();
    }

    /// <summary>
    /// Waits until at least <paramref name="count"/> messages have been accepted on <paramref name="channel"/>,
    /// then returns <see cref="GetMessages(string)"/> for it. Throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.
    /// </summary>
    public async Task<IReadOnlyList<ReceivedMessage>> WaitForMessagesAsync(string channel, int count, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        await WaitUntilAsync(() => GetAcceptedMessageCount(channel) >= count, () => "messages on channel \"" + channel + "\"", count, () => GetAcceptedMessageCount(channel), timeout, cancellationToken).ConfigureAwait(false);
        return GetMessages(channel);
    }

    /// <summary>
    /// Streams messages as they are accepted, on the given channels or (null) on every channel, until cancelled or the
    /// server stops. A reader slower than the publishers loses the oldest buffered messages (see <see cref="LocalAblyOptions.WatcherBufferSize"/>).
    /// </summary>
    public async IAsyncEnumerable<ReceivedMessage> WatchAsync(IEnumerable<string>? channels = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var filter = channels is null ? null : new HashSet<string>(channels, StringComparer.Ordinal);
        using var watcher = _core.Watchers.Add(filter, _core.Options.WatcherBufferSize);
        while (await watcher.Buffer.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (watcher.Buffer.Reader.TryRead(out var message))
            {
                yield return message;
            }
        }
    }

    /// <summary>
    /// Drops every realtime (WebSocket) connection as a network failure would: no CLOSED, no close frame. Sessions stay
    /// resumable for <see cref="LocalAblyOptions.ConnectionStateTtl"/>. For <paramref name="refuseFor"/> afterwards, new
    /// connections are answered with DISCONNECTED (error 80003), so clients stay away that long and retry. Returns how
    /// many connections were dropped. Also <c>POST /_local/realtime/disconnect[?refuseMs=N]</c>.
    /// </summary>
    public int DisconnectRealtimeClients(TimeSpan refuseFor = default) => _core.Realtime.DisconnectAll(refuseFor);

    /// <summary>Realtime (WebSocket) connections open right now.</summary>
    public int OpenRealtimeConnections => _core.Realtime.OpenConnections;

    /// <summary>Forgets all messages, channels, idempotency keys and counters. Faults stay; clear them with <see cref="FaultInjector.Clear"/>.</summary>
    public void Reset() => _core.Reset();

    /// <summary>Stops listening; open SSE streams are ended.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        await _core.Stopping.CancelAsync().ConfigureAwait(false);
        _core.Watchers.CompleteAll();
        _core.Realtime.AbortAll();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(timeout.Token).ConfigureAwait(false);
    }

    /// <summary>Stops the server and releases its resources.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _core.Stopping.Dispose();
    }

    private async Task WaitUntilAsync(Func<bool> done, Func<string> what, int count, Func<long> current, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (done())
        {
            return;
        }

        using var timeoutSource = new CancellationTokenSource(timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeoutSource.Token, cancellationToken);
        _core.Signal.AddWaiter();
        try
        {
            while (true)
            {
                var pulse = _core.Signal.Current; // taken before the check so a pulse in between is not missed
                if (done())
                {
                    return;
                }

                await pulse.WaitAsync(linked.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (timeoutSource.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException("Timed out after " + timeout + " waiting for " + count + " " + what() + "; got " + current() + ".");
        }
        finally
        {
            _core.Signal.RemoveWaiter();
        }
    }
}
