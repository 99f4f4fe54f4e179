using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using AblyPgTyped.Capture;
using AblyPgTyped.Generators.Tests.Mapped;
using Xunit;

namespace AblyPgTyped.Generators.Tests;

/// <summary>
/// The capture functions run as their owner with the writer's <c>search_path</c> (no <c>SET</c> clause, which would cost
/// every call), so nothing they name may be looked up through it. <c>CaptureSafetyTests</c> shows look-alikes on the
/// path are not run; this checks every name of every body, including those no look-alike there covers.
/// </summary>
public sealed class TriggerBodyTests
{
    /// <summary>Words the bodies may write before a parenthesis: aliases with column lists, and SQL's own syntax.</summary>
    private static readonly HashSet<string> NotCalls = ["r", "g", "s", "extract"];

    /// <summary>Types named by SQL keywords, which the parser resolves in pg_catalog itself.</summary>
    private static readonly HashSet<string> KeywordTypes = ["bigint", "boolean"];

    public static TheoryData<string> Bodies()
    {
        var install = AllTypesAblyTable.InstallSql
            + CaptureSql.InstallTable("ablypg", new TableCapture("public", "whole rows", null, insert: true, update: true, delete: true));
        var bodies = new TheoryData<string>();
        foreach (Match function in Regex.Matches(install, @"\bAS (\$\w*\$)\n(.*?)\1", RegexOptions.Singleline))
        {
            bodies.Add(function.Groups[2].Value);
        }

        return bodies;
    }

    [Theory]
    [MemberData(nameof(Bodies))]
    public void Errors_a_retry_may_cure_are_raised_again_and_only_the_others_become_notes(string body)
    {
        // A note dead-letters the change for good; a serialization failure, a lock timeout or an out-of-memory fails the
        // statement instead, as it would without capture, and the application may retry it.
        var handlers = Regex.Matches(body, @"EXCEPTION (.*?)\n\s*WHEN OTHERS THEN").Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(handlers);
        Assert.Equal(Regex.Matches(body, @"\bEXCEPTION\b").Count, handlers.Count);
        Assert.All(handlers, h => Assert.Equal(
            "WHEN transaction_rollback OR insufficient_resources OR object_not_in_prerequisite_state OR operator_intervention OR system_error THEN RAISE;", h));
    }

    [Theory]
    [MemberData(nameof(Bodies))]
    public void Every_function_operator_and_type_a_capture_function_names_is_pg_catalogs(string body)
    {
        var rest = body;
        foreach (var (pattern, replacement) in new[]
        {
            (@"E?'(?:[^']|'')*'", "''"), // string literals
            ("\"(?:[^\"]|\"\")*\"", "x"), // quoted identifiers
            (@"OPERATOR\(pg_catalog\.[^)]+\)", " "),
            (@"\bpg_catalog\.\w+", ""),
            (@":=|\bSET \w+ =", " "), // assignments
            (@"\.\*|\(\*\)", " "),
        })
        {
            rest = Regex.Replace(rest, pattern, replacement);
        }

        var operators = Regex.Matches(rest, @"[=<>+\-*/|!~%^&@#]+|\b(?:BETWEEN|IN|LIKE|ILIKE|SIMILAR|DISTINCT|OVERLAPS|NULLIF|COALESCE|GREATEST|LEAST)\b|\bCASE\s+(?!WHEN)", RegexOptions.IgnoreCase)
            .Select(m => m.Value);
        var calls = Regex.Matches(rest, @"\b(\w+)\(").Select(m => m.Groups[1].Value).Where(name => !NotCalls.Contains(name));
        var casts = Regex.Matches(rest, @"::(\w+)").Select(m => m.Groups[1].Value);
        var declared = Regex.Matches(rest.Split("BEGIN")[0], @"^\s+ablypg_\w+ (\w+);", RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value).Where(type => !KeywordTypes.Contains(type));

        Assert.Empty(operators.Concat(calls).Concat(casts).Concat(declared));
    }
}
