extern alias generator;

using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using System.Linq;
using generator::AblyPgTyped.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace AblyPgTyped.Generators.Tests.Infrastructure;

/// <summary>Runs the generator in process over source text, against the running framework's assemblies (offline).</summary>
internal static class GeneratorHarness
{
    private static readonly Lazy<MetadataReference[]> s_references = new(() => HostReferencePaths()
        .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
        .ToArray());

    /// <summary>The framework assemblies of the running host, plus the runtime and Npgsql: what a consumer compiles against.</summary>
    public static IEnumerable<string> HostReferencePaths() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p) is var name
                        && (name.StartsWith("System.", StringComparison.Ordinal) || name is "netstandard.dll" or "mscorlib.dll" or "AblyPgTyped.dll" or "Npgsql.dll"));

    public static CSharpCompilation Compile(string source, LanguageVersion languageVersion = LanguageVersion.Preview) =>
        CSharpCompilation.Create(
            "Consumer",
            [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(languageVersion), path: "Input.cs")],
            s_references.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    /// <param name="languageVersion">The consumer's C# version.</param>
    /// <param name="buildProperties">MSBuild properties as the SDK passes them (<c>build_property.RootNamespace</c>, …).</param>
    public static GeneratorDriver CreateDriver(LanguageVersion languageVersion = LanguageVersion.Preview, IReadOnlyDictionary<string, string>? buildProperties = null) =>
        CSharpGeneratorDriver.Create(
            [new AblyTableGenerator().AsSourceGenerator()],
            additionalTexts: [],
            parseOptions: new CSharpParseOptions(languageVersion),
            optionsProvider: new GlobalOptionsProvider(buildProperties ?? new Dictionary<string, string>()),
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator once and compiles its output with the input.</summary>
    public static GeneratorRun Run(string source, LanguageVersion languageVersion = LanguageVersion.Preview, IReadOnlyDictionary<string, string>? buildProperties = null)
    {
        var compilation = Compile(source, languageVersion);
        var driver = CreateDriver(languageVersion, buildProperties).RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        var result = driver.GetRunResult();
        return new GeneratorRun(
            result.Results.Single().GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString()),
            result.Diagnostics,
            output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToImmutableArray());
    }

    private sealed class GlobalOptionsProvider(IReadOnlyDictionary<string, string> values) : AnalyzerConfigOptionsProvider
    {
        private readonly Options _options = new(values);

        public override AnalyzerConfigOptions GlobalOptions => _options;

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Options.Empty;

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => Options.Empty;

        private sealed class Options(IReadOnlyDictionary<string, string> values) : AnalyzerConfigOptions
        {
            public static readonly Options Empty = new(new Dictionary<string, string>());

            public override bool TryGetValue(string key, [NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);
        }
    }
}

/// <param name="Sources">Generated files by hint name.</param>
/// <param name="GeneratorDiagnostics">What the generator reported.</param>
/// <param name="CompilationDiagnostics">Warnings and errors of the input plus the generated code.</param>
internal sealed record GeneratorRun(
    IReadOnlyDictionary<string, string> Sources,
    ImmutableArray<Diagnostic> GeneratorDiagnostics,
    ImmutableArray<Diagnostic> CompilationDiagnostics);
