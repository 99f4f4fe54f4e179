using System.Collections.Generic;

namespace AblyPgTyped.Cli;

/// <summary>
/// The parsed command line: <c>ablypg &lt;command&gt; [--uninstall] [--role NAME] [CONFIG]</c>, <c>ablypg backfill …</c>, or the
/// operations commands <c>status</c> and <c>dead-letters</c> (<see cref="OperationsArguments"/>).
/// </summary>
internal sealed record CommandLine(string Command, string? ConfigPath, bool Uninstall, string? Role = null)
{
    /// <summary>backfill: the table to backfill (null with <see cref="Status"/>).</summary>
    public string? Table { get; init; }

    /// <summary>backfill: the SQL condition on the rows.</summary>
    public string? Where { get; init; }

    /// <summary>backfill: the channel to publish every snapshot on.</summary>
    public string? Channel { get; init; }

    /// <summary>backfill --status: print the recorded backfills.</summary>
    public bool Status { get; init; }

    /// <summary>backfill --no-wait: return once the backfill is recorded.</summary>
    public bool NoWait { get; init; }

    /// <summary>backfill --cancel ID: the backfill to cancel.</summary>
    public long? Cancel { get; init; }

    /// <summary>status, dead-letters list: print JSON.</summary>
    public bool Json { get; init; }

    /// <summary>dead-letters: list, replay or purge.</summary>
    public string? Action { get; init; }

    /// <summary>dead-letters list: the most letters printed.</summary>
    public int Limit { get; init; } = 100;

    /// <summary>dead-letters: which letters.</summary>
    public DeadLetters.DeadLetterSelection? Selection { get; init; }

    public const string Usage = """
        ablypg: stream PostgreSQL row changes to Ably, configured like the Node.js ably-postgres-connector.

        Usage:
          ablypg run [CONFIG]               Run the connector until Ctrl+C or SIGTERM, logging to the console.
          ablypg sql [CONFIG]               Print the complete install DDL, for a DBA to review or apply as the owner.
          ablypg sql --uninstall [CONFIG]   Print the DDL that removes it.
          ablypg grants --role NAME [CONFIG]
                                            Print the GRANT script for a connector role that may only use the capture
                                            store: apply it after the install DDL, then run the connector as NAME.
          ablypg backfill TABLE [--where SQL] [--channel NAME] [--no-wait] [CONFIG]
                                            Publish the rows TABLE already holds, as 'snapshot' messages on its INSERT
                                            channel (or NAME). The running connector (ablypg run) does the work; this
                                            waits, printing progress, until every row is published (unless --no-wait).
                                            --where is an SQL condition you write, e.g. "created_at > '2026-01-01'".
          ablypg backfill --status [CONFIG] Print every backfill and where it stands.
          ablypg backfill --cancel ID [CONFIG]
                                            Stop backfill ID: no more rows are recorded; those recorded are published.
          ablypg uninstall [CONFIG]         Remove the capture triggers, their functions and the store tables (with
                                            changes not yet published), then the capture schema if nothing else is in it.
          ablypg status [--json] [CONFIG]   Whether a connector is active, the changes waiting (per table and channel)
                                            and the age of the oldest, dead letters, backfills running, the store's size.
          ablypg dead-letters list [--table T] [--limit N] [--json] [CONFIG]
                                            Print the dead letters in position order (the first N, default 100).
          ablypg dead-letters replay (--id ID[,ID…] | --all) [--table T] [CONFIG]
                                            Put dead letters back into the store, in order, for the connector to publish.
          ablypg dead-letters purge (--id ID[,ID…] | --all | --before TIME) [--table T] [CONFIG]
                                            Delete dead letters. TIME is a date or time (2026-11-20, 2026-11-20T10:00Z,
                                            UTC unless it says otherwise) or an age (90s, 30m, 12h, 7d).
          ablypg --help | --version

        CONFIG is the original's config/default.json or config/.env. Without it, the settings come from the
        environment: DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_NAME, ABLY_API_KEY, ABLY_CONNECTOR, and optionally
        ABLY_REST_HOST, ABLY_PORT, ABLY_TLS_PORT, ABLY_TLS, ABLY_COMPATIBLE_MESSAGES, ABLYPG_CAPTURE_SCHEMA.
        Each command reads only what it uses: status, dead-letters and uninstall the database and the capture schema;
        sql the tables and the capture schema; grants the capture schema (and the database's name). Only run and
        backfill need the Ably API key. T is a table as name or schema.name. Operations: docs/operations.md.

        Exit codes: 0 done (run: stopped cleanly), 1 failed (database or network), 2 bad configuration or usage.
        """;

    /// <summary>Parses the arguments; returns null with <paramref name="problem"/> set when they are not valid.</summary>
    public static CommandLine? Parse(IReadOnlyList<string> args, out string? problem)
    {
        problem = null;
        if (args.Count == 0)
        {
            problem = "no command given";
            return null;
        }

        var command = args[0];
        switch (command)
        {
            case "-h" or "--help" or "help" or "-?":
                return new CommandLine("help", null, false);
            case "--version":
                return new CommandLine("version", null, false);
            case "backfill":
                return ParseBackfill(args, out problem);
            case "status":
                return OperationsArguments.ParseStatus(args, out problem);
            case "dead-letters":
                return OperationsArguments.ParseDeadLetters(args, out problem);
            case "run" or "sql" or "uninstall" or "grants":
                break;
            default:
                problem = "unknown command '" + command + "'";
                return null;
        }

        string? config = null;
        string? role = null;
        var uninstall = false;
        for (var i = 1; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help")
            {
                return new CommandLine("help", null, false);
            }

            if (arg == "--uninstall" && command == "sql")
            {
                uninstall = true;
            }
            else if (command == "grants" && (arg == "--role" || arg.StartsWith("--role=", System.StringComparison.Ordinal)))
            {
                if (arg == "--role" && i + 1 == args.Count)
                {
                    problem = "--role needs the name of the connector's role";
                    return null;
                }

                role = arg == "--role" ? args[++i] : arg["--role=".Length..];
            }
            else if (arg.StartsWith('-') && arg != "-")
            {
                problem = "unknown option '" + arg + "' for " + command;
                return null;
            }
            else if (config is null)
            {
                config = arg;
            }
            else
            {
                problem = command + " takes one CONFIG path; '" + arg + "' is one too many";
                return null;
            }
        }

        if (command == "grants" && string.IsNullOrEmpty(role))
        {
            problem = "grants needs --role NAME: the role the connector runs as";
            return null;
        }

        return new CommandLine(command, config, uninstall, role);
    }

    private static CommandLine? ParseBackfill(IReadOnlyList<string> args, out string? problem)
    {
        problem = null;
        string? table = null, config = null, where = null, channel = null;
        bool status = false, noWait = false;
        long? cancel = null;
        for (var i = 1; i < args.Count; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "-h" or "--help":
                    return new CommandLine("help", null, false);
                case "--status":
                    status = true;
                    continue;
                case "--no-wait":
                    noWait = true;
                    continue;
                case "--cancel":
                    if (i + 1 == args.Count || !long.TryParse(args[i + 1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
                    {
                        problem = "--cancel needs the id of a backfill (a number; `ablypg backfill --status` lists them)";
                        return null;
                    }

                    cancel = id;
                    i++;
                    continue;
                case "--where" or "--channel":
                    if (i + 1 == args.Count)
                    {
                        problem = arg + (arg == "--where" ? " needs an SQL condition" : " needs a channel name");
                        return null;
                    }

                    if (arg == "--where")
                    {
                        where = args[++i];
                    }
                    else
                    {
                        channel = args[++i];
                    }

                    continue;
            }

            if (arg.StartsWith("--where=", System.StringComparison.Ordinal))
            {
                where = arg["--where=".Length..];
            }
            else if (arg.StartsWith("--channel=", System.StringComparison.Ordinal))
            {
                channel = arg["--channel=".Length..];
            }
            else if (arg.StartsWith('-') && arg != "-")
            {
                problem = "unknown option '" + arg + "' for backfill";
                return null;
            }
            else if (table is null && !status && cancel is null)
            {
                table = arg;
            }
            else if (config is null)
            {
                config = arg;
            }
            else
            {
                problem = "backfill takes a TABLE and one CONFIG path; '" + arg + "' is one too many";
                return null;
            }
        }

        if (!status && cancel is null && string.IsNullOrEmpty(table))
        {
            problem = "backfill needs the TABLE to backfill, or --status, or --cancel ID";
            return null;
        }

        if (cancel is not null && (status || table is not null || where is not null || channel is not null))
        {
            problem = "backfill --cancel ID takes only a CONFIG path besides";
            return null;
        }

        return new CommandLine("backfill", config, false) { Table = table, Where = where, Channel = channel, Status = status, NoWait = noWait, Cancel = cancel };
    }
}
