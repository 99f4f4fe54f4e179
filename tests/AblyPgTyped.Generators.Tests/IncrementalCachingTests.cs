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

/// <summary>
/// The pipeline generates no source for edits that cannot change it, and its models hold only values. The steps that
/// carry diagnostics (<see cref="TrackingNames.Parse"/>, <see cref="TrackingNames.Resolve"/>, <see cref="TrackingNames.Identities"/>)
/// hold real locations, so they run again when their file is edited; nothing downstream of them that emits source does.
/// </summary>
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

    /// <summary>Steps whose outputs are equatable models: no locations, no symbols.</summary>
    private static readonly string[] s_modelSteps =
    [
        TrackingNames.Defaults, TrackingNames.Tables, TrackingNames.LanguageVersion, TrackingNames.RegistryNamespace, TrackingNames.Registry,
    ];

    /// <summary>Steps that carry diagnostics with their locations: no symbols, syntax nodes or compilations either.</summary>
    private static readonly string[] s_locatedSteps = [TrackingNames.Parse, TrackingNames.Resolve, TrackingNames.Identities];

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

        AssertAllCachedOrUnchanged(result, [.. s_modelSteps, .. s_locatedSteps]);
        AssertOutputs(result, IsSourceOutput, cached: true);
        AssertOutputs(result, IsDiagnosticOutput, cached: true);
    }

    [Fact]
    public void Editing_a_method_body_of_the_mapped_type_generates_no_source()
    {
        var compilation = GeneratorHarness.Compile(Source);
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        var tree = compilation.SyntaxTrees[0];
        var edited = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(
            tree.GetText().Replace(Source.IndexOf("\"account\"", StringComparison.Ordinal), "\"account\"".Length, "\"an account\"")));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        AssertAllCachedOrUnchanged(result, s_modelSteps);
        AssertOutputs(result, IsSourceOutput, cached: true);
    }

    [Fact]
    public void Adding_a_blank_line_above_a_mapped_type_leaves_the_table_and_registry_sources_cached()
    {
        var compilation = GeneratorHarness.Compile(Source);
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        var tree = compilation.SyntaxTrees[0];
        var attribute = Source.IndexOf("[AblyTable", StringComparison.Ordinal);
        var edited = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(tree.GetText().Replace(attribute, 0, "\n")));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        // The located steps did run again (the type moved), and nothing that emits source did.
        Assert.Contains(result.TrackedSteps[TrackingNames.Resolve].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        AssertAllCachedOrUnchanged(result, s_modelSteps);
        AssertOutputs(result, IsSourceOutput, cached: true);
    }

    [Fact]
    public void A_diagnostic_follows_its_type_when_a_line_is_added_above_it()
    {
        const string warned = """
            [assembly: AblyPgTyped.AblyTableDefaults(Visibility = AblyPgTyped.MappingVisibility.Public)]
            namespace Demo;
            [AblyPgTyped.AblyTable("audit", Insert = "audit")]
            internal sealed record Audit(int Id);
            """;
        var compilation = GeneratorHarness.Compile(warned);
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        var before = Assert.Single(driver.GetRunResult().Diagnostics);

        var tree = compilation.SyntaxTrees[0];
        var edited = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(tree.GetText().Replace(warned.IndexOf("namespace", StringComparison.Ordinal), 0, "\n")));
        var result = driver.RunGenerators(edited).GetRunResult();

        var after = Assert.Single(result.Diagnostics);
        Assert.Equal("APG0018", after.Id);
        Assert.Equal(before.Location.GetLineSpan().StartLinePosition.Line + 1, after.Location.GetLineSpan().StartLinePosition.Line);
        Assert.Equal(edited.SyntaxTrees[0], after.Location.SourceTree);
        AssertAllCachedOrUnchanged(result.Results.Single(), s_modelSteps);
        AssertOutputs(result.Results.Single(), IsSourceOutput, cached: true);
    }

    [Fact]
    public void Changing_the_assembly_defaults_renames_the_columns_without_parsing_the_type_again()
    {
        var compilation = GeneratorHarness.Compile(Source);
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText(
            "[assembly: AblyPgTyped.AblyTableDefaults(ColumnNaming = AblyPgTyped.ColumnNaming.SnakeCase)]",
            (CSharpParseOptions)compilation.SyntaxTrees[0].Options,
            path: "Defaults.cs"));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        Assert.All(result.TrackedSteps[TrackingNames.Parse].SelectMany(s => s.Outputs), o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
        Assert.Contains(result.TrackedSteps[TrackingNames.Tables].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        var mapping = result.GeneratedSources.Single(s => s.HintName == "Demo.AccountAblyTable.g.cs").SourceText.ToString();
        Assert.Contains("\"tier\"u8", mapping, StringComparison.Ordinal);
        Assert.Contains("columnNaming: global::AblyPgTyped.ColumnNaming.SnakeCase", mapping, StringComparison.Ordinal);
    }

    [Fact]
    public void Renaming_a_column_leaves_the_registry_cached()
    {
        var compilation = GeneratorHarness.Compile(Source);
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        var tree = compilation.SyntaxTrees[0];
        var edited = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(
            tree.GetText().Replace(Source.IndexOf("string? Email", StringComparison.Ordinal), "string? Email".Length, "string? Mail")));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        AssertAllCachedOrUnchanged(result, [TrackingNames.Registry]);
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
        var source = Source.Replace("namespace Demo;", "[assembly: AblyTableDefaults(ColumnNaming = ColumnNaming.SnakeCase)]\nnamespace Demo;", StringComparison.Ordinal);
        var driver = GeneratorHarness.CreateDriver().RunGenerators(GeneratorHarness.Compile(source));
        var result = driver.GetRunResult().Results.Single();

        foreach (var step in s_modelSteps)
        {
            Assert.True(result.TrackedSteps.ContainsKey(step), $"step {step} did not run");
            foreach (var output in result.TrackedSteps[step].SelectMany(s => s.Outputs))
            {
                AssertOnlyValues(output.Value, step, new HashSet<object>(ReferenceEqualityComparer.Instance), allowLocations: false);
            }
        }

        foreach (var step in s_locatedSteps)
        {
            foreach (var output in result.TrackedSteps[step].SelectMany(s => s.Outputs))
            {
                AssertOnlyValues(output.Value, step, new HashSet<object>(ReferenceEqualityComparer.Instance), allowLocations: true);
            }
        }
    }

    private static void AssertAllCachedOrUnchanged(GeneratorRunResult result, IEnumerable<string> steps)
    {
        foreach (var step in steps)
        {
            Assert.True(result.TrackedSteps.ContainsKey(step), $"step {step} did not run");
            foreach (var output in result.TrackedSteps[step].SelectMany(s => s.Outputs))
            {
                Assert.True(
                    output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                    $"step {step} produced {output.Reason}");
            }
        }
    }

    /// <summary>Asserts on the outputs (AddSource or ReportDiagnostic) selected by what they are fed from; at least one must exist.</summary>
    private static void AssertOutputs(GeneratorRunResult result, Func<IncrementalGeneratorRunStep, bool> select, bool cached)
    {
        var steps = result.TrackedOutputSteps.SelectMany(s => s.Value).Where(select).ToList();
        Assert.NotEmpty(steps);
        foreach (var output in steps.SelectMany(s => s.Outputs))
        {
            Assert.Equal(cached, output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged);
        }
    }

    private static bool IsSourceOutput(IncrementalGeneratorRunStep step) =>
        NamedInputs(step).Any(n => n is TrackingNames.Tables or TrackingNames.Registry);

    private static bool IsDiagnosticOutput(IncrementalGeneratorRunStep step) =>
        NamedInputs(step).Any(n => n is TrackingNames.Resolve or TrackingNames.Identities);

    /// <summary>The nearest named steps that feed <paramref name="step"/>, looking through unnamed ones such as Combine.</summary>
    private static IEnumerable<string> NamedInputs(IncrementalGeneratorRunStep step) =>
        step.Inputs.SelectMany(input => input.Source.Name is { } name ? [name] : NamedInputs(input.Source));

    private static void AssertOnlyValues(object? value, string path, HashSet<object> seen, bool allowLocations)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum || !seen.Add(value))
        {
            return;
        }

        // A diagnostic's location holds its syntax tree by design; what matters is that no symbol or compilation is kept.
        if (allowLocations && value is Location or Diagnostic)
        {
            return;
        }

        Assert.False(value is ISymbol or SyntaxNode or SyntaxTree or Compilation or SemanticModel or Location or Diagnostic,
            $"{path} holds a {value.GetType().Name}; pipeline models must hold only values");

        if (value is IEnumerable items)
        {
            foreach (var item in items)
            {
                AssertOnlyValues(item, path + "[]", seen, allowLocations);
            }

            return;
        }

        foreach (var field in value.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            AssertOnlyValues(field.GetValue(value), path + "." + field.Name, seen, allowLocations);
        }
    }
}
