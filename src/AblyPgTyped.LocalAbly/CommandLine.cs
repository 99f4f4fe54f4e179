using System;
using System.Globalization;

namespace AblyPgTyped.LocalAbly;

/// <summary>The command-line options of the standalone program, turned into <see cref="LocalAblyOptions"/>.</summary>
internal static class CommandLine
{
    public const string Usage = """
Local Ably-compatible REST endpoint (JSON, plain HTTP on 127.0.0.1).
It enforces the limits of an Ably plan: Standard unless --plan says otherwise.

Options:
  --port N                    TCP port (default 8089; 0 picks a free one)
  --key name:secret           accepted API key (repeatable; default app.key:secret)
  --no-auth                   accept requests without checking credentials
  --plan NAME                 the Ably plan whose limits apply (default standard):
                                free       50 msg/s per channel;   500 msg/s and   50 publish requests/s per account; 65536 bytes
                                standard   50 msg/s per channel;  2500 msg/s and  362 publish requests/s per account; 65536 bytes
                                pro        50 msg/s per channel; 10000 msg/s and 1447 publish requests/s per account; 262144 bytes
                                unlimited  no rate limits; 65536 bytes
  --channel-rate N            messages/s per channel, instead of the plan's ("unlimited": no limit)
  --account-message-rate N    messages/s per account, instead of the plan's ("unlimited": no limit)
  --account-request-rate N    publish requests/s per account, instead of the plan's ("unlimited": no limit)
  --max-message-size N        bytes per publish / batch spec, instead of the plan's
  --rate-limit N              alias of --channel-rate
  --dedup-seconds N           idempotency window (default 120)
  --history N                 messages kept per channel (default 10000)
  --verbose                   log every request
  -h, --help                  show this help
""";

    /// <summary>
    /// Parses the arguments; null when help was asked for. Throws <see cref="ArgumentException"/> with a message
    /// naming the offending flag.
    /// </summary>
    public static LocalAblyOptions? Parse(string[] args)
    {
        var options = new LocalAblyOptions { Port = 8089 };
        var noAuth = false;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "--port":
                    options.Port = ParseInt(arg, Next(args, ref i), 0, 65535);
                    break;
                case "--key":
                    options.ApiKeys.Add(Next(args, ref i));
                    break;
                case "--no-auth":
                    noAuth = true;
                    break;
                case "--plan":
                    options.Plan = ParsePlan(arg, Next(args, ref i));
                    break;
                case "--channel-rate":
                case "--rate-limit":
                    options.ChannelMessagesPerSecond = ParseRate(arg, Next(args, ref i));
                    break;
                case "--account-message-rate":
                    options.AccountMessagesPerSecond = ParseRate(arg, Next(args, ref i));
                    break;
                case "--account-request-rate":
                    options.AccountRequestsPerSecond = ParseRate(arg, Next(args, ref i));
                    break;
                case "--max-message-size":
                    options.MaxMessageSize = ParseInt(arg, Next(args, ref i), 1, int.MaxValue);
                    break;
                case "--dedup-seconds":
                    options.DedupWindow = TimeSpan.FromSeconds(ParseInt(arg, Next(args, ref i), 0, int.MaxValue));
                    break;
                case "--history":
                    options.MaxHistoryPerChannel = ParseInt(arg, Next(args, ref i), 1, int.MaxValue);
                    break;
                case "--verbose":
                    options.LogRequests = true;
                    break;
                case "-h":
                case "--help":
                    return null;
                default:
                    throw new ArgumentException("Unknown argument " + arg);
            }
        }

        if (noAuth)
        {
            options.ApiKeys.Clear();
        }
        else if (options.ApiKeys.Count == 0)
        {
            options.ApiKeys.Add("app.key:secret");
        }

        options.Validate();
        return options;
    }

    private static string Next(string[] args, ref int i)
    {
        if (i + 1 >= args.Length)
        {
            throw new ArgumentException(args[i] + " needs a value");
        }

        return args[++i];
    }

    private static int ParseInt(string flag, string text, int min, int max)
    {
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new ArgumentException(flag + ": expected a whole number from " + min.ToString(CultureInfo.InvariantCulture) + " to " + max.ToString(CultureInfo.InvariantCulture) + ", got \"" + text + "\"");
        }

        return value;
    }

    private static LocalAblyPlan ParsePlan(string flag, string text) => text.ToLowerInvariant() switch
    {
        "free" => LocalAblyPlan.Free,
        "standard" => LocalAblyPlan.Standard,
        "pro" => LocalAblyPlan.Pro,
        "unlimited" => LocalAblyPlan.Unlimited,
        _ => throw new ArgumentException(flag + ": expected free, standard, pro or unlimited, got \"" + text + "\""),
    };

    private static double ParseRate(string flag, string text)
    {
        if (string.Equals(text, "unlimited", StringComparison.OrdinalIgnoreCase))
        {
            return double.PositiveInfinity;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) || !double.IsFinite(rate) || rate <= 0)
        {
            throw new ArgumentException(flag + ": expected a positive number per second, or \"unlimited\", got \"" + text + "\"");
        }

        return rate;
    }
}
