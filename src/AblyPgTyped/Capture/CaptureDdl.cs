using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;

namespace AblyPgTyped.Capture;

/// <summary>
/// What a piece of capture DDL (from <see cref="CaptureSql"/>) creates and drops, read back from its text: the trigger
/// functions with their bodies, the triggers, the tables. The installed capture is compared with this, so the comparison
/// follows whatever the DDL becomes without a second description of it to keep in step.
/// </summary>
internal sealed partial class CaptureDdl
{
    private CaptureDdl(string sql)
    {
        foreach (Match match in FunctionPattern().Matches(sql))
        {
            Functions[Name(match.Groups["name"].Value)] = match.Groups["body"].Value;
        }

        foreach (Match match in TriggerPattern().Matches(sql))
        {
            // The install names each trigger twice, a row and a statement form, and creates the one the table needs.
            var trigger = new DeclaredTrigger(Identifier(match.Groups["trigger"].Value), Name(match.Groups["table"].Value), Name(match.Groups["function"].Value));
            if (!Triggers.Contains(trigger))
            {
                Triggers.Add(trigger);
            }
        }

        foreach (Match match in DropFunctionPattern().Matches(sql))
        {
            DroppedFunctions.Add(Name(match.Groups["name"].Value));
        }

        foreach (Match match in TablePattern().Matches(sql))
        {
            Tables.Add(Name(match.Groups["name"].Value));
        }
    }

    /// <summary>Functions created (<c>CREATE OR REPLACE FUNCTION</c>), by schema and name, with the body between the dollar quotes (what <c>pg_proc.prosrc</c> holds).</summary>
    public Dictionary<QualifiedName, string> Functions { get; } = [];

    /// <summary>Triggers created, with the table they are on and the function they run.</summary>
    public List<DeclaredTrigger> Triggers { get; } = [];

    /// <summary>Functions dropped (<c>DROP FUNCTION IF EXISTS</c>): those of operations that are not captured.</summary>
    public List<QualifiedName> DroppedFunctions { get; } = [];

    /// <summary>Tables created (<c>CREATE TABLE [IF NOT EXISTS]</c>).</summary>
    public List<QualifiedName> Tables { get; } = [];

    public static CaptureDdl Parse(string sql) => new(sql);

    /// <summary>The DDL of one mapping's capture.</summary>
    public static CaptureDdl Of(string captureSchema, ChangeMapping mapping) => new(CaptureSql.InstallTable(captureSchema, mapping.Capture));

    /// <summary>The functions that capture <paramref name="mapping"/>'s operations, whether or not its table still exists.</summary>
    public static IReadOnlyList<string> FunctionNames(string captureSchema, ChangeMapping mapping) =>
        Of(captureSchema, mapping).Functions.Keys.Select(f => f.Name).ToArray();

    private static QualifiedName Name(string text)
    {
        var match = QualifiedPattern().Match(text);
        return new QualifiedName(Identifier(match.Groups["schema"].Value), Identifier(match.Groups["name"].Value));
    }

    private static string Identifier(string quoted) => quoted[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal);

    // A quoted identifier: "…", with "" inside for a quote. Every name in the capture DDL is quoted.
    private const string Quoted = "\"(?:[^\"]|\"\")*\"";

    [GeneratedRegex("^(?<schema>" + Quoted + ")\\.(?<name>" + Quoted + ")$", RegexOptions.CultureInvariant)]
    private static partial Regex QualifiedPattern();

    [GeneratedRegex("CREATE OR REPLACE FUNCTION (?<name>" + Quoted + "\\." + Quoted + ")\\(\\)(?:" + Quoted + "|[^\"$])*?\\bAS (?<tag>\\$[A-Za-z0-9_]*\\$)(?<body>.*?)\\k<tag>", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex FunctionPattern();

    [GeneratedRegex("CREATE (?:OR REPLACE )?(?:CONSTRAINT )?TRIGGER (?<trigger>" + Quoted + ")(?:" + Quoted + "|[^\"])*? ON (?<table>" + Quoted + "\\." + Quoted + ")(?:" + Quoted + "|[^\"])*? EXECUTE (?:FUNCTION|PROCEDURE) (?<function>" + Quoted + "\\." + Quoted + ")\\(", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex TriggerPattern();

    [GeneratedRegex("DROP FUNCTION IF EXISTS (?<name>" + Quoted + "\\." + Quoted + ")\\(\\)", RegexOptions.CultureInvariant)]
    private static partial Regex DropFunctionPattern();

    [GeneratedRegex("CREATE (?:UNLOGGED )?TABLE (?:IF NOT EXISTS )?(?<name>" + Quoted + "\\." + Quoted + ")", RegexOptions.CultureInvariant)]
    private static partial Regex TablePattern();
}

/// <summary>A trigger as the DDL creates it.</summary>
internal sealed record DeclaredTrigger(string Name, QualifiedName Table, QualifiedName Function);
