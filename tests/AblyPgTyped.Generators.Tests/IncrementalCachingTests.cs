extern alias generator;

using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using AblyPgTyped.Generators.Tests.Infrastructure;
using generator::AblyPgTyped.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace AblyPgTyped.Generators.Tests;

/// <summary>The pipeline does no work for edits that cannot change its output, and its models hold only values.</summary>
public sealed class IncrementalCachingTests
{
    private const string Source = """
        using AblyPgTyped;
        namespace Demo;
        public enum Tier { Free, Paid }
        [AblyTable("accounts", Insert = "accounts:{Tier}", Update = "accounts:{Id}", Delete = "accounts:{Id}")]
        public sealed record Account(int Id, Tier Tier, string? Email, long[] Scores)
        {
            public string Describe() => "account";
        }
        """;

    private static readonly string[] s_steps =
    [
        TrackingNames.Parse, TrackingNames.Diagnostics, TrackingNames.Tables, TrackingNames.LanguageVersion, TrackingNames.Registry,
    ];

    [Fact]
    public void Adding_an_unrelated_file_leaves_every_step_cached()
    {
        var compilation = GeneratorHarness.Compile(Source);
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText(
            "namespace Demo { public sealed class Unrelated { public int X { get; set; } } }",
            (CSharpParseOptions)compilation.SyntaxTrees[0].Options,
            path: "Unrelated.cs"));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        AssertAllCachedOrUnchanged(result);
    }

    [Fact]
    public void Editing_a_method_body_of_the_mapped_type_changes_no_output()
    {
        var compilation = GeneratorHarness.Compile(Source);
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        var tree = compilation.SyntaxTrees[0];
        var edited = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(
            tree.GetText().Replace(Source.IndexOf("\"account\"", StringComparison.Ordinal), "\"account\"".Length, "\"an account\"")));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        AssertAllCachedOrUnchanged(result);
    }

    [Fact]
    public void Changing_the_mapping_regenerates_it()
    {
        var compilation = GeneratorHarness.Compile(Source);
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        var tree = compilation.SyntaxTrees[0];
        var edited = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(
            tree.GetText().Replace(Source.IndexOf("string? Email", StringComparison.Ordinal), "string? Email".Length, "string? Mail")));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        Assert.Contains(result.TrackedSteps[TrackingNames.Tables].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("\"Mail\"u8", result.GeneratedSources.Single(s => s.HintName == "Demo.AccountAblyTable.g.cs").SourceText.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Pipeline_models_hold_no_symbols_syntax_or_compilations()
    {
        var driver = GeneratorHarness.CreateDriver().RunGenerators(GeneratorHarness.Compile(Source));
        var result = driver.GetRunResult().Results.Single();

        foreach (var step in s_steps)
        {
            foreach (var output in result.TrackedSteps[step].SelectMany(s => s.Outputs))
            {
                AssertOnlyValues(output.Value, step, new HashSet<object>(ReferenceEqualityComparer.Instance));
            }
        }
    }

    private static void AssertAllCachedOrUnchanged(GeneratorRunResult result)
    {
        foreach (var step in s_steps)
        {
            Assert.True(result.TrackedSteps.ContainsKey(step), $"step {step} did not run");
            foreach (var output in result.TrackedSteps[step].SelectMany(s => s.Outputs))
            {
                Assert.True(
                    output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                    $"step {step} produced {output.Reason}");
            }
        }

        foreach (var output in result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs))
        {
            Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"an output step produced {output.Reason}");
        }
    }

    private static void AssertOnlyValues(object? value, string path, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum || !seen.Add(value))
        {
            return;
        }

        Assert.False(value is ISymbol or SyntaxNode or SyntaxTree or Compilation or SemanticModel or Location,
            $"{path} holds a {value.GetType().Name}; pipeline models must hold only values");

        if (value is IEnumerable items)
        {
            foreach (var item in items)
            {
                AssertOnlyValues(item, path + "[]", seen);
            }

            return;
        }

        foreach (var field in value.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            AssertOnlyValues(field.GetValue(value), path + "." + field.Name, seen);
        }
    }
}
