using System.Collections.Generic;

namespace AblyPgTyped.Cli;

/// <summary>The parsed command line: <c>ablypg &lt;command&gt; [--uninstall] [CONFIG]</c>.</summary>
internal sealed record CommandLine(string Command, string? ConfigPath, bool Uninstall)
{
    public const string Usage = """
        ablypg: stream PostgreSQL row changes to Ably, configured like the Node.js ably-postgres-connector.

        Usage:
          ablypg run [CONFIG]               Run the connector until Ctrl+C or SIGTERM, logging to the console.
          ablypg sql [CONFIG]               Print the DDL the connector installs, for a DBA to review or apply.
          ablypg sql --uninstall [CONFIG]   Print the DDL that removes it.
          ablypg uninstall [CONFIG]         Remove the capture triggers, their functions and the capture schema
                                            (with changes not yet published) from the database.
          ablypg --help | --version

        CONFIG is the original's config/default.json or config/.env. Without it, the settings come from the
        environment: DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_NAME, ABLY_API_KEY, ABLY_CONNECTOR, and optionally
        ABLY_REST_HOST, ABLY_PORT, ABLY_TLS_PORT, ABLY_TLS, ABLY_COMPATIBLE_MESSAGES, ABLYPG_CAPTURE_SCHEMA.

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
            case "run" or "sql" or "uninstall":
                break;
            default:
                problem = "unknown command '" + command + "'";
                return null;
        }

        string? config = null;
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

        return new CommandLine(command, config, uninstall);
    }
}
