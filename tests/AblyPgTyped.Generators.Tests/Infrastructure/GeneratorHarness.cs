extern alias generator;

using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using generator::AblyPgTyped.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace AblyPgTyped.Generators.Tests.Infrastructure;

/// <summary>Runs the generator in process over source text, against the running framework's assemblies (offline).</summary>
internal static class GeneratorHarness
{
    private static readonly Lazy<MetadataReference[]> s_references = new(() =>
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        return paths
            .Where(p => Path.GetFileName(p) is var name
                        && (name.StartsWith("System.", StringComparison.Ordinal) || name is "netstandard.dll" or "mscorlib.dll" or "AblyPgTyped.dll" or "Npgsql.dll"))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToArray();
    });

    public static CSharpCompilation Compile(string source, LanguageVersion languageVersion = LanguageVersion.Preview) =>
        CSharpCompilation.Create(
            "Consumer",
            [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(languageVersion), path: "Input.cs")],
            s_references.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver CreateDriver(LanguageVersion languageVersion = LanguageVersion.Preview) =>
        CSharpGeneratorDriver.Create(
            [new AblyTableGenerator().AsSourceGenerator()],
            parseOptions: new CSharpParseOptions(languageVersion),
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator once and compiles its output with the input.</summary>
    public static GeneratorRun Run(string source, LanguageVersion languageVersion = LanguageVersion.Preview)
    {
        var compilation = Compile(source, languageVersion);
        var driver = CreateDriver(languageVersion).RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        var result = driver.GetRunResult();
        return new GeneratorRun(
            result.Results.Single().GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString()),
            result.Diagnostics,
            output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToImmutableArray());
    }
}

/// <param name="Sources">Generated files by hint name.</param>
/// <param name="GeneratorDiagnostics">What the generator reported.</param>
/// <param name="CompilationDiagnostics">Warnings and errors of the input plus the generated code.</param>
internal sealed record GeneratorRun(
    IReadOnlyDictionary<string, string> Sources,
    ImmutableArray<Diagnostic> GeneratorDiagnostics,
    ImmutableArray<Diagnostic> CompilationDiagnostics);
