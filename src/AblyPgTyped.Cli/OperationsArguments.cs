using System;
using System.Collections.Generic;
using System.Globalization;
using AblyPgTyped.Cli.DeadLetters;

namespace AblyPgTyped.Cli;

/// <summary>
/// Parses <c>ablypg status [--json] [CONFIG]</c> and <c>ablypg dead-letters ACTION [options] [CONFIG]</c>. Options take
/// their value as the next argument or after <c>=</c>.
/// </summary>
internal static class OperationsArguments
{
    public static CommandLine? ParseStatus(IReadOnlyList<string> args, out string? problem)
    {
        problem = null;
        string? config = null, value;
        var json = false;
        for (var i = 1; i < args.Count; i++)
        {
            switch (Option(args, ref i, out value, out problem))
            {
                case "help":
                    return new CommandLine("help", null, false);
                case "--json":
                    json = true;
                    break;
                case null when problem is null:
                    if (!TakeConfig(ref config, value!, "status", out problem))
                    {
                        return null;
                    }

                    break;
                case var option:
                    problem = "unknown option '" + option + "' for status";
                    return null;
            }
        }

        return new CommandLine("status", config, false) { Json = json };
    }

    public static CommandLine? ParseDeadLetters(IReadOnlyList<string> args, out string? problem)
    {
        problem = null;
        if (args.Count < 2 || args[1] is not ("list" or "replay" or "purge"))
        {
            problem = args.Count < 2 || args[1].StartsWith('-')
                ? "dead-letters needs an action: list, replay or purge"
                : "unknown dead-letters action '" + args[1] + "': use list, replay or purge";
            return args.Count > 1 && args[1] is "-h" or "--help" ? new CommandLine("help", null, false) : null;
        }

        var action = args[1];
        string? config = null, table = null, value;
        List<long>? ids = null;
        bool all = false, json = false;
        int? limit = null;
        DateTimeOffset? before = null;
        TimeSpan? olderThan = null;
        var beforeGiven = false;
        for (var i = 2; i < args.Count; i++)
        {
            var option = Option(args, ref i, out value, out problem);
            if (problem is not null)
            {
                return null;
            }

            switch (option)
            {
                case "help":
                    return new CommandLine("help", null, false);
                case "--table":
                    table = value;
                    break;
                case "--limit" when action == "list":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
                    {
                        problem = "--limit needs a whole number of at least 1, not '" + value + "'";
                        return null;
                    }

                    limit = n;
                    break;
                case "--json" when action == "list":
                    json = true;
                    break;
                case "--id" when action != "list":
                    ids ??= [];
                    foreach (var part in value!.Split(',', StringSplitOptions.TrimEntries))
                    {
                        if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id < 1)
                        {
                            problem = "--id needs dead-letter ids (whole numbers, as `ablypg dead-letters list` shows them), not '" + value + "'";
                            return null;
                        }

                        ids.Add(id);
                    }

                    break;
                case "--all" when action != "list":
                    all = true;
                    break;
                case "--before" when action == "purge":
                    if (!DeadLetterSelection.TryParseBefore(value!, out before, out olderThan))
                    {
                        problem = "--before needs a date or time (2026-11-20, 2026-11-20T10:00:00Z) or an age (90s, 30m, 12h, 7d), not '" + value + "'";
                        return null;
                    }

                    beforeGiven = true;
                    break;
                case null:
                    if (!TakeConfig(ref config, value!, "dead-letters " + action, out problem))
                    {
                        return null;
                    }

                    break;
                default:
                    problem = (option is "--limit" or "--json" or "--id" or "--all" or "--before" ? option + " is not an option of " : "unknown option '" + args[i] + "' for ")
                              + "dead-letters " + action;
                    return null;
            }
        }

        var chosen = (ids is null ? 0 : 1) + (all ? 1 : 0) + (beforeGiven ? 1 : 0);
        if (action != "list" && chosen != 1)
        {
            var selectors = action == "purge" ? "--id ID[,ID…], --all or --before TIME" : "--id ID[,ID…] or --all";
            problem = chosen == 0
                ? "dead-letters " + action + " needs to be told which letters: " + selectors + " (with --table T to keep to one table)"
                : "dead-letters " + action + " takes one of " + selectors + ", not several";
            return null;
        }

        return new CommandLine("dead-letters", config, false)
        {
            Action = action,
            Json = json,
            Limit = limit ?? 100,
            Selection = new DeadLetterSelection(table, ids, all, before, olderThan),
        };
    }

    /// <summary>
    /// The option at <paramref name="i"/> (moving past its value), "help", or null for an argument that is no option
    /// (then <paramref name="value"/> holds it).
    /// </summary>
    private static string? Option(IReadOnlyList<string> args, ref int i, out string? value, out string? problem)
    {
        var arg = args[i];
        value = null;
        problem = null;
        if (arg is "-h" or "--help")
        {
            return "help";
        }

        if (!arg.StartsWith('-') || arg == "-")
        {
            value = arg;
            return null;
        }

        var equals = arg.IndexOf('=', StringComparison.Ordinal);
        var name = equals > 0 ? arg[..equals] : arg;
        if (name is not ("--table" or "--limit" or "--id" or "--before"))
        {
            return arg;
        }

        if (equals > 0)
        {
            value = arg[(equals + 1)..];
        }
        else if (i + 1 < args.Count)
        {
            value = args[++i];
        }

        if (string.IsNullOrWhiteSpace(value))
        {
            problem = name + " needs a value";
        }

        return name;
    }

    private static bool TakeConfig(ref string? config, string value, string command, out string? problem)
    {
        problem = null;
        if (config is null)
        {
            config = value;
            return true;
        }

        problem = command + " takes one CONFIG path; '" + value + "' is one too many";
        return false;
    }
}
