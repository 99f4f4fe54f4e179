using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using Microsoft.Extensions.Logging;

namespace AblyPgTyped.Tests.Observability;

/// <summary>Keeps every log line with the moment it was written, for tests of what is logged when (also as a host's provider).</summary>
internal sealed class TimedLogs : ILoggerFactory, ILoggerProvider
{
    private readonly ConcurrentQueue<Entry> _entries = new();

    public IReadOnlyList<Entry> Entries => [.. _entries];

    public IReadOnlyList<Entry> Of(int eventId) => [.. _entries.Where(e => e.EventId == eventId)];

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    internal sealed record Entry(long Timestamp, LogLevel Level, int EventId, string Text, IReadOnlyDictionary<string, object?> State);

    private sealed class Logger(TimedLogs logs) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? pairs.ToDictionary(p => p.Key, p => p.Value) : [];
            logs._entries.Enqueue(new Entry(Stopwatch.GetTimestamp(), logLevel, eventId.Id, formatter(state, exception) + (exception is null ? "" : " " + exception.Message), values));
        }
    }
}
