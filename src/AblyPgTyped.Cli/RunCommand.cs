using System;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace AblyPgTyped.Cli;

/// <summary><c>ablypg run</c>: runs the connector until Ctrl+C (SIGINT) or SIGTERM, then stops it cleanly and exits 0.</summary>
internal static class RunCommand
{
    public static async Task<int> RunAsync(string? configPath)
    {
        using var stopping = new CancellationTokenSource();
        var signals = 0;
        void OnSignal(PosixSignalContext context)
        {
            // The first signal stops cleanly; a second one ends the process at once.
            if (Interlocked.Increment(ref signals) == 1)
            {
                context.Cancel = true;
                stopping.Cancel();
            }
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var loggerFactory = ConsoleLogging.Create();
        var logger = loggerFactory.CreateLogger("ablypg");

        await using var connector = OriginalConnector.Create(configPath, loggerFactory);
        try
        {
            await connector.StartAsync(stopping.Token);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return ExitCodes.Success;
        }

        Log.Started(logger, configPath ?? "the environment");
        try
        {
            await Task.Delay(Timeout.Infinite, stopping.Token);
        }
        catch (OperationCanceledException)
        {
        }

        Log.Stopping(logger);
        await connector.StopAsync();
        Log.Stopped(logger);
        return ExitCodes.Success;
    }
}

/// <summary>The CLI's own log lines (event ids 1300–1309).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1300, Level = LogLevel.Information, Message = "Started from {Config}; publishing changes until Ctrl+C or SIGTERM.")]
    public static partial void Started(ILogger logger, string config);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "Stopping.")]
    public static partial void Stopping(ILogger logger);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Information, Message = "Stopped.")]
    public static partial void Stopped(ILogger logger);
}
