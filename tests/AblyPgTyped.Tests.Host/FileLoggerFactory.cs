using System;
using System.IO;
using Microsoft.Extensions.Logging;

namespace AblyPgTyped.Tests.Host;

/// <summary>
/// Writes the connector's log to a file, when a test run is being diagnosed (<c>ABLYPG_HOST_LOG</c> names it): the host
/// is killed with SIGKILL, so each line is flushed as it is written.
/// </summary>
internal sealed class FileLoggerFactory(string path) : ILoggerFactory
{
    private readonly object _sync = new();

    public ILogger CreateLogger(string categoryName) => new FileLogger(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private void Write(string line)
    {
        lock (_sync)
        {
            File.AppendAllText(path, line + Environment.NewLine);
        }
    }

    private sealed class FileLogger(FileLoggerFactory factory) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            factory.Write($"{DateTime.UtcNow:HH:mm:ss.fff} {Environment.ProcessId} {logLevel} {eventId.Id} {formatter(state, exception)}");
    }
}
