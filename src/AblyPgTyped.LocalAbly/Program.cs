using System;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace AblyPgTyped.LocalAbly;

/// <summary>Command-line host: <c>dotnet run --project src/AblyPgTyped.LocalAbly -- --port 8089 --key app.key:secret</c>.</summary>
internal static class Program
{
    private const string Usage = """
Local Ably-compatible REST endpoint (JSON, plain HTTP on 127.0.0.1).

Options:
  --port N                 TCP port (default 8089; 0 picks a free one)
  --key name:secret        accepted API key (repeatable; default app.key:secret)
  --no-auth                accept requests without checking credentials
  --max-message-size N     bytes per publish / batch spec (default 65536)
  --dedup-seconds N        idempotency window (default 120)
  --history N              messages kept per channel (default 10000)
  --rate-limit N           per-channel messages per second (default: unlimited)
  --verbose                log every request
  -h, --help               show this help
""";

    public static async Task<int> Main(string[] args)
    {
        var options = new LocalAblyOptions { Port = 8089, Log = line => Console.WriteLine(line) };
        bool noAuth = false;
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                string arg = args[i];
                switch (arg)
                {
                    case "--port":
                        options.Port = ParseInt(args, ref i);
                        break;
                    case "--key":
                        options.ApiKeys.Add(Next(args, ref i));
                        break;
                    case "--no-auth":
                        noAuth = true;
                        break;
                    case "--max-message-size":
                        options.MaxMessageSize = ParseInt(args, ref i);
                        break;
                    case "--dedup-seconds":
                        options.DedupWindow = TimeSpan.FromSeconds(ParseInt(args, ref i));
                        break;
                    case "--history":
                        options.MaxHistoryPerChannel = ParseInt(args, ref i);
                        break;
                    case "--rate-limit":
                        options.RateLimitPerChannel = double.Parse(Next(args, ref i), CultureInfo.InvariantCulture);
                        break;
                    case "--verbose":
                        options.LogRequests = true;
                        break;
                    case "-h":
                    case "--help":
                        Console.WriteLine(Usage);
                        return 0;
                    default:
                        throw new ArgumentException("Unknown argument " + arg);
                }
            }
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
        {
            await Console.Error.WriteLineAsync(ex.Message + Environment.NewLine + Usage).ConfigureAwait(false);
            return 2;
        }

        if (noAuth)
        {
            options.ApiKeys.Clear();
        }
        else if (options.ApiKeys.Count == 0)
        {
            options.ApiKeys.Add("app.key:secret");
        }

        using var stop = new CancellationTokenSource();
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.Cancel(); });
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });

        await using LocalAblyServer server = await LocalAblyServer.StartAsync(options).ConfigureAwait(false);
        string baseUrl = server.BaseAddress.ToString().TrimEnd('/');
        Console.WriteLine(baseUrl);
        Console.WriteLine("  ably-js: new Ably.Rest({ key, endpoint: '127.0.0.1', port: " + server.Port + ", tls: false, useBinaryProtocol: false })");
        Console.WriteLine("  watch:   curl -N " + baseUrl + "/_local/watch    (or open " + baseUrl + "/_local/ in a browser)");
        Console.WriteLine("  stats:   curl " + baseUrl + "/_local/stats");
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

    private static string Next(string[] args, ref int i)
    {
        if (i + 1 >= args.Length)
        {
            throw new ArgumentException(args[i] + " needs a value");
        }

        return args[++i];
    }

    private static int ParseInt(string[] args, ref int i) => int.Parse(Next(args, ref i), NumberStyles.Integer, CultureInfo.InvariantCulture);
}
