using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using AblyPgTyped.LocalAbly;
using AblyPgTyped.Publishing;
using Microsoft.Extensions.Logging;

namespace AblyPgTyped.Tests.Publishing;

/// <summary>Shared helpers: a local Ably server with a known key, publisher options pointing at it, message builders.</summary>
internal static class PublishingTestKit
{
    public const string KeyName = "testapp.key1";

    /// <summary>A secret distinctive enough to search for in logs and messages.</summary>
    public const string Secret = "Zx9-NeverLogThisSecret-7Qp";

    public const string Key = KeyName + ":" + Secret;

    public static Task<LocalAblyServer> StartServerAsync(Action<LocalAblyOptions>? configure = null)
    {
        var options = new LocalAblyOptions { ApiKeys = { Key } };
        configure?.Invoke(options);
        return LocalAblyServer.StartAsync(options);
    }

    public static AblyOptions OptionsFor(LocalAblyServer server, Action<AblyOptions>? configure = null) => OptionsFor(server.Port, configure);

    public static AblyOptions OptionsFor(int port, Action<AblyOptions>? configure = null)
    {
        var options = new AblyOptions
        {
            ApiKey = Key,
            RestHost = "127.0.0.1",
            Port = port,
            Tls = false,
            RequestTimeout = TimeSpan.FromSeconds(5),
            MaxRetryDuration = TimeSpan.FromSeconds(10),
        };
        configure?.Invoke(options);
        return options;
    }

    public static OutboundMessage Message(string id, string name = "row", string? data = null, IReadOnlyDictionary<string, string>? headers = null) =>
        new(id, name, data ?? "{\"id\":\"" + id + "\",\"v\":1}", headers);

    /// <summary><paramref name="count"/> messages with ids <c>prefix-0</c>…, optional padding in the data.</summary>
    public static List<OutboundMessage> Messages(string prefix, int count, int padding = 0, IReadOnlyDictionary<string, string>? headers = null)
    {
        var list = new List<OutboundMessage>(count);
        string pad = new('x', padding);
        for (var i = 0; i < count; i++)
        {
            var id = prefix + "-" + i.ToString(CultureInfo.InvariantCulture);
            list.Add(new OutboundMessage(id, "row", "{\"id\":\"" + id + "\",\"i\":" + i.ToString(CultureInfo.InvariantCulture) + ",\"pad\":\"" + pad + "\"}", headers));
        }

        return list;
    }

    public static string[] Ids(IEnumerable<ReceivedMessage> messages) => messages.Select(m => m.Id).ToArray();

    public static string[] Ids(IEnumerable<OutboundMessage> messages) => messages.Select(m => m.Id).ToArray();

    /// <summary>A TCP port on 127.0.0.1 with nothing listening (taken from the OS, then released).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>One captured log event.</summary>
internal sealed record LogEntry(LogLevel Level, int EventId, string Text);

/// <summary>An <see cref="ILogger"/> that keeps every event (message, structured values and exception) for assertions.</summary>
internal sealed class TestLogger : ILogger
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => _entries.ToArray();

    /// <summary>Everything logged, including structured values and exceptions, as one text.</summary>
    public string AllText => string.Join("\n", _entries.Select(e => e.Text));

    public int Count(int eventId) => _entries.Count(e => e.EventId == eventId);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var text = formatter(state, exception);
        if (state is IEnumerable<KeyValuePair<string, object?>> values)
        {
            text += " |" + string.Join(";", values.Select(v => v.Key + "=" + v.Value));
        }

        if (exception is not null)
        {
            text += " | " + exception;
        }

        _entries.Enqueue(new LogEntry(logLevel, eventId.Id, text));
    }
}
