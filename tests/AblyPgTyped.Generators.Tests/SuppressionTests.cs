extern alias generator;

using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Generator = generator::AblyPgTyped.Generators.AblyTableGenerator;

namespace AblyPgTyped.Generators.Tests;

/// <summary>
/// The generator's diagnostics obey <c>#pragma warning disable</c> and <c>.editorconfig</c> severities, as the compiler's
/// do: they are reported at locations in the source tree. Checked with Roslyn's generator verifier; the packaging tests
/// check the same in a real build.
/// </summary>
public sealed class SuppressionTests
{
    private const string Header = """
        using AblyPgTyped;

        [assembly: AblyTableDefaults(Visibility = MappingVisibility.Public)]

        namespace Shop;

        """;

    /// <summary>APG0018 is a warning: the assembly's default is Public, but this type is internal.</summary>
    private const string InternalAudit = Header + """
        [{|#0:AblyTable("audit", Insert = "audit")|}]
        internal sealed record Audit(int Id);
        """;

    [Fact]
    public Task The_warning_is_reported_at_the_attribute() =>
        VerifyAsync(
            InternalAudit,
            editorConfig: null,
            new DiagnosticResult("APG0018", DiagnosticSeverity.Warning).WithLocation(0).WithArguments("Audit", "'Audit' is internal"));

    [Fact]
    public Task A_pragma_around_the_type_suppresses_the_warning() =>
        VerifyAsync(
            Header + """
                #pragma warning disable APG0018 // Only this assembly reads audit entries.
                [AblyTable("audit", Insert = "audit")]
                internal sealed record Audit(int Id);
                #pragma warning restore APG0018
                """,
            editorConfig: null);

    [Fact]
    public Task A_pragma_elsewhere_does_not_suppress_it() =>
        VerifyAsync(
            Header + """
                [{|#0:AblyTable("audit", Insert = "audit")|}]
                internal sealed record Audit(int Id);

                #pragma warning disable APG0018
                [AblyTable("log", Insert = "log")]
                internal sealed record Log(int Id);
                """,
            editorConfig: null,
            new DiagnosticResult("APG0018", DiagnosticSeverity.Warning).WithLocation(0).WithArguments("Audit", "'Audit' is internal"));

    [Fact]
    public Task An_editorconfig_severity_of_none_suppresses_the_warning() =>
        VerifyAsync(InternalAudit.Replace("{|#0:", "").Replace("|}", ""), editorConfig: "dotnet_diagnostic.APG0018.severity = none");

    [Fact]
    public Task An_editorconfig_severity_of_error_raises_the_warning() =>
        VerifyAsync(
            InternalAudit,
            editorConfig: "dotnet_diagnostic.APG0018.severity = error",
            new DiagnosticResult("APG0018", DiagnosticSeverity.Error).WithLocation(0).WithArguments("Audit", "'Audit' is internal"));

    [Fact]
    public Task An_editorconfig_severity_of_none_suppresses_an_error_too() =>
        VerifyAsync(
            """
            using AblyPgTyped;
            namespace Shop;
            [AblyTable("links", Insert = "links")]
            public sealed record Link(int Id, System.Uri Target);
            """,
            editorConfig: "dotnet_diagnostic.APG0007.severity = none");

    private static async Task VerifyAsync(string source, string? editorConfig, params DiagnosticResult[] expected)
    {
        var test = new CSharpSourceGeneratorTest<Generator, DefaultVerifier>
        {
            // The running host's assemblies, so the test needs no reference pack from a feed.
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),
            TestBehaviors = TestBehaviors.SkipGeneratedSourcesCheck,
        };
        test.TestState.Sources.Add(source);
        test.TestState.AdditionalReferences.AddRange(GeneratorHarness.HostReferencePaths().Select(p => MetadataReference.CreateFromFile(p)));
        if (editorConfig is not null)
        {
            test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n\n[*.cs]\n" + editorConfig + "\n"));
        }

        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync();
    }
}
