using Microsoft.Extensions.Logging;

namespace AblyPgTyped.Cli;

/// <summary>The CLI's logging: one line per message on the console, with the time.</summary>
internal static class ConsoleLogging
{
    public static ILoggerFactory Create() => LoggerFactory.Create(logging => logging
        .SetMinimumLevel(LogLevel.Information)
        .AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss.fff ";
        }));
}
