using System;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace AblyPgTyped.LocalAbly;

/// <summary>Command-line host: <c>dotnet run --project src/AblyPgTyped.LocalAbly -- --port 8089 --key app.key:secret</c>.</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        LocalAblyOptions? options;
        try
        {
            options = CommandLine.Parse(args);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message + Environment.NewLine + Environment.NewLine + CommandLine.Usage).ConfigureAwait(false);
            return 2;
        }

        if (options is null)
        {
            Console.WriteLine(CommandLine.Usage);
            return 0;
        }

        options.Log = line => Console.WriteLine(line);

        using var stop = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });

        await using var server = await LocalAblyServer.StartAsync(options).ConfigureAwait(false);
        var baseUrl = server.BaseAddress.ToString().TrimEnd('/');
        Console.WriteLine(baseUrl);
        Console.WriteLine("  ably-js: new Ably.Rest({ key, endpoint: '127.0.0.1', port: " + server.Port + ", tls: false, useBinaryProtocol: false })");
        Console.WriteLine("  realtime: new Ably.Realtime({ the same options }) connects to ws://127.0.0.1:" + server.Port + "/");
        Console.WriteLine("  watch:   curl -N " + baseUrl + "/_local/watch    (or open " + baseUrl + "/_local/ in a browser)");
        Console.WriteLine("  stats:   curl " + baseUrl + "/_local/stats    (limits: " + baseUrl + "/_local/limits)");
        Console.WriteLine("Press Ctrl+C to stop.");

        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Console.WriteLine("Stopping.");
        }

        return 0;
    }
}
