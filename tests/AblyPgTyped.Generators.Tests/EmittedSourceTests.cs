using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using AblyPgTyped.Generators.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Xunit;

namespace AblyPgTyped.Generators.Tests;

/// <summary>
/// The emitted source, compared with golden files. Set ABLYPG_UPDATE_GOLDEN=1 to rewrite them after an intended change,
/// then review the diff.
/// </summary>
public sealed class EmittedSourceTests
{
    private const string Users = """
        using AblyPgTyped;

        namespace Demo;

        [AblyTable("users", Insert = "ably-users-added", Update = "users:{Id}", Delete = "ably-users-removed")]
        public sealed record User(int Id, string Name, [property: AblyIgnore] string? PasswordHash);
        """;

    private const string HostileNames = """
        using System;
        using AblyPgTyped;

        namespace Demo.Sales;

        public enum Status { Open, Closed }

        [AblyTable("Order \"Lines\"; DROP TABLE x", Schema = "Sales $ablypg$ Data", Update = "orders:{OrderId}:{Status}", Delete = "orders:{{all}}")]
        public sealed class OrderLine
        {
            [AblyKey, AblyColumn("order id")]
            public Guid OrderId { get; init; }

            [AblyKey, AblyColumn("select")]
            public int Line { get; init; }

            [AblyColumn("it's \\ here")]
            public byte[]? Blob { get; set; }

            public TimeSpan? Duration { get; set; }

            public Status Status { get; set; }

            public long[] Counts { get; set; } = [];
        }
        """;

    /// <summary>A contracts assembly: public mappings in snake_case by the assembly's defaults, and one kept internal.</summary>
    private const string PublicContracts = """
        using AblyPgTyped;

        [assembly: AblyTableDefaults(Visibility = MappingVisibility.Public, ColumnNaming = ColumnNaming.SnakeCase)]

        namespace Shop.Contracts;

        [AblyTable("orders", Insert = "orders", Update = "customers:{CustomerId}")]
        public sealed record Order(int Id, int CustomerId, string? ShippingAddress);

        [AblyTable("audit_entries", Insert = "audit", Visibility = MappingVisibility.Internal)]
        internal sealed record AuditEntry(long Id, string Action);
        """;

    [Theory]
    [InlineData(nameof(Users), Users, null)]
    [InlineData(nameof(HostileNames), HostileNames, null)]
    [InlineData(nameof(PublicContracts), PublicContracts, "Shop.Contracts")]
    public void Emitted_source_matches_golden_files(string scenario, string source, string? rootNamespace)
    {
        var run = GeneratorHarness.Run(
            source,
            buildProperties: rootNamespace is null ? null : new Dictionary<string, string> { ["build_property.RootNamespace"] = rootNamespace });

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationDiagnostics);
        var folder = Path.Combine(RepositoryPaths.Root, "tests", "AblyPgTyped.Generators.Tests", "Golden", scenario);
        if (Environment.GetEnvironmentVariable("ABLYPG_UPDATE_GOLDEN") == "1")
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }

            Directory.CreateDirectory(folder);
            foreach (var (hint, text) in run.Sources)
            {
                File.WriteAllText(Path.Combine(folder, hint), text);
            }
        }

        var expected = Directory.GetFiles(folder).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, run.Sources.Keys.OrderBy(n => n, StringComparer.Ordinal).ToArray());
        foreach (var (hint, text) in run.Sources)
        {
            Assert.Equal(File.ReadAllText(Path.Combine(folder, hint)), text);
        }
    }

    [Fact]
    public void Emitted_code_compiles_without_warnings_with_nullable_enabled()
    {
        var run = GeneratorHarness.Run(HostileNames);

        Assert.Empty(run.CompilationDiagnostics);
    }

    [Fact]
    public void Ignored_property_is_neither_captured_nor_written()
    {
        var run = GeneratorHarness.Run(Users);
        var mapping = run.Sources["Demo.UserAblyTable.g.cs"];

        Assert.DoesNotContain("PasswordHash\"", mapping.Replace("\"PasswordHash\"", ""), StringComparison.Ordinal);
        Assert.DoesNotContain("\"\"PasswordHash\"\"", mapping, StringComparison.Ordinal);
        Assert.Contains("new global::Demo.User(idValue, nameValue, default!)", mapping, StringComparison.Ordinal);
    }

    [Fact]
    public void Registry_lists_every_mapping()
    {
        var run = GeneratorHarness.Run("""
            namespace Demo
            {
                [AblyPgTyped.AblyTable("users", Insert = "users")]
                public sealed record User(int Id, string Name);
            }

            namespace Other
            {
                [AblyPgTyped.AblyTable("events", Insert = "events")]
                public sealed record Event(int Id);
            }
            """);

        var registry = run.Sources["AblyPgTables.g.cs"];
        Assert.Contains("public static global::Demo.UserAblyTable User => global::Demo.UserAblyTable.Instance;", registry, StringComparison.Ordinal);
        Assert.Contains("public static global::Other.EventAblyTable Event => global::Other.EventAblyTable.Instance;", registry, StringComparison.Ordinal);
        Assert.Contains("global::Demo.UserAblyTable.Instance,", registry, StringComparison.Ordinal);
        Assert.Contains("global::Other.EventAblyTable.Instance,", registry, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Shop.Contracts", "Consumer", "namespace Shop.Contracts\n")]
    [InlineData(null, "My.Publisher", "namespace My.Publisher\n")]
    [InlineData("", "My.Publisher", "namespace My.Publisher\n")]
    [InlineData("My-App.2nd.class", "My-App", "namespace My_App._2nd.@class\n")]
    public void Registry_is_in_the_root_namespace_else_the_assembly_name(string? rootNamespace, string assemblyName, string expected)
    {
        var properties = new Dictionary<string, string>();
        if (rootNamespace is not null)
        {
            properties["build_property.RootNamespace"] = rootNamespace;
        }

        var compilation = GeneratorHarness.Compile("""[AblyPgTyped.AblyTable("users", Insert = "users")] public sealed record User(int Id);""")
            .WithAssemblyName(assemblyName);
        GeneratorHarness.CreateDriver(buildProperties: properties)
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);

        Assert.Empty(diagnostics);
        Assert.DoesNotContain(output.GetDiagnostics(), d => d.Severity >= Microsoft.CodeAnalysis.DiagnosticSeverity.Warning);
        var registry = output.SyntaxTrees.Single(t => t.FilePath.EndsWith("AblyPgTables.g.cs", StringComparison.Ordinal)).ToString();
        Assert.Contains(expected + "{\n", registry, StringComparison.Ordinal);
    }

    [Fact]
    public void Registry_of_internal_mappings_is_internal_and_turns_public_with_a_public_mapping()
    {
        var internalOnly = GeneratorHarness.Run("""[AblyPgTyped.AblyTable("users", Insert = "users")] public sealed record User(int Id);""");
        var mixed = GeneratorHarness.Run("""
            [AblyPgTyped.AblyTable("users", Insert = "users", Visibility = AblyPgTyped.MappingVisibility.Public)] public sealed record User(int Id);
            [AblyPgTyped.AblyTable("audit", Insert = "audit")] public sealed record Audit(int Id);
            """);

        Assert.Contains("internal sealed class UserAblyTable", internalOnly.Sources["UserAblyTable.g.cs"], StringComparison.Ordinal);
        Assert.Contains("internal static class AblyPgTables", internalOnly.Sources["AblyPgTables.g.cs"], StringComparison.Ordinal);
        Assert.Contains("public static global::UserAblyTable User => ", internalOnly.Sources["AblyPgTables.g.cs"], StringComparison.Ordinal);

        Assert.Empty(mixed.CompilationDiagnostics);
        Assert.Contains("public sealed class UserAblyTable", mixed.Sources["UserAblyTable.g.cs"], StringComparison.Ordinal);
        Assert.Contains("internal sealed class AuditAblyTable", mixed.Sources["AuditAblyTable.g.cs"], StringComparison.Ordinal);
        var registry = mixed.Sources["AblyPgTables.g.cs"];
        Assert.Contains("public static class AblyPgTables", registry, StringComparison.Ordinal);
        Assert.Contains("public static global::UserAblyTable User => ", registry, StringComparison.Ordinal);
        Assert.Contains("internal static global::AuditAblyTable Audit => ", registry, StringComparison.Ordinal);
    }

    [Fact]
    public void Same_type_name_in_two_namespaces_gets_distinct_registry_names()
    {
        var run = GeneratorHarness.Run("""
            namespace A { [AblyPgTyped.AblyTable("a", Insert = "a")] public sealed record Item(int Id); }
            namespace B { [AblyPgTyped.AblyTable("b", Insert = "b")] public sealed record Item(int Id); }
            """);

        Assert.Empty(run.CompilationDiagnostics);
        var registry = run.Sources["AblyPgTables.g.cs"];
        Assert.Contains(" A_ItemAblyTable => ", registry, StringComparison.Ordinal);
        Assert.Contains(" B_ItemAblyTable => ", registry, StringComparison.Ordinal);
    }
}
