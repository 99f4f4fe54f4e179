using System.Linq;
using AblyPgTyped.Generators.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace AblyPgTyped.Generators.Tests;

/// <summary>Every diagnostic: its ID, its whole message, and the source text it points at.</summary>
public sealed class DiagnosticTests
{
    public static TheoryData<string, string, string, string> Cases => new()
    {
        {
            "APG0001", """[AblyTable("users")] public sealed record User(int Id);""",
            "'User' maps table \"public\".\"users\" but sets no channel: set at least one of Insert, Update or Delete",
            """AblyTable("users")"""
        },
        {
            "APG0002", """[AblyTable("", Insert = "x")] public sealed record User(int Id);""",
            "The table name '' of 'User' is not a valid PostgreSQL identifier: it is empty",
            "\"\""
        },
        {
            "APG0002", """[AblyTable("users", Schema = "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij1234", Insert = "x")] public sealed record User(int Id);""",
            "The schema name 'abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij1234' of 'User' is not a valid PostgreSQL identifier: it is 64 bytes long in UTF-8, and PostgreSQL truncates identifiers to 63",
            "\"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij1234\""
        },
        {
            "APG0002", """[AblyTable("users", Insert = "x")] public sealed record User(int Id, [property: AblyColumn("ééééééééééééééééééééééééééééééééé")] string Name);""",
            "The column name 'ééééééééééééééééééééééééééééééééé' of 'User' is not a valid PostgreSQL identifier: it is 66 bytes long in UTF-8, and PostgreSQL truncates identifiers to 63",
            "\"ééééééééééééééééééééééééééééééééé\""
        },
        {
            "APG0003", """[AblyTable("users", Insert = "[meta]users")] public sealed record User(int Id);""",
            "The insert channel '[meta]users' of 'User' is not a valid Ably channel name: it starts with '[', which Ably reserves for channel qualifiers such as [meta]",
            "\"[meta]users\""
        },
        {
            "APG0003", """[AblyTable("users", Update = "us*ers:{Id}")] public sealed record User(int Id);""",
            "The update channel 'us*ers:{Id}' of 'User' is not a valid Ably channel name: its namespace 'us*ers' (the part before the first ':') contains '*'",
            "\"us*ers:{Id}\""
        },
        {
            "APG0003", """[AblyTable("users", Insert = "users:{Id")] public sealed record User(int Id);""",
            "The insert channel 'users:{Id' of 'User' is not a valid Ably channel name: it has a '{' with no closing '}' (write '{{' for a literal brace)",
            "\"users:{Id\""
        },
        {
            "APG0003", """[AblyTable("users", Delete = "")] public sealed record User(int Id);""",
            "The delete channel '' of 'User' is not a valid Ably channel name: it is empty",
            "\"\""
        },
        {
            "APG0003", """[AblyTable("users", Insert = ":users")] public sealed record User(int Id);""",
            "The insert channel ':users' of 'User' is not a valid Ably channel name: it starts with ':'",
            "\":users\""
        },
        {
            "APG0004", """[AblyTable("users", Insert = "users:{Tenant}")] public sealed record User(int Id);""",
            "The insert channel 'users:{Tenant}' of 'User' uses placeholder {Tenant}, but 'User' has no mapped property named 'Tenant'",
            "\"users:{Tenant}\""
        },
        {
            "APG0005", """[AblyTable("users", Insert = "users:{Secret}")] public sealed record User(int Id, [property: AblyIgnore] string Secret);""",
            "The insert channel 'users:{Secret}' of 'User' uses placeholder {Secret}, but 'Secret' is marked [AblyIgnore] and is never captured",
            "\"users:{Secret}\""
        },
        {
            "APG0006", """[AblyTable("users", Insert = "users:{Score}")] public sealed record User(int Id, double Score);""",
            "The insert channel 'users:{Score}' of 'User' uses placeholder {Score} of type 'double'; a placeholder must be a string, char, bool, integer, Guid or enum",
            "\"users:{Score}\""
        },
        {
            "APG0007", """[AblyTable("users", Insert = "x")] public sealed class User { public int Id { get; set; } public System.Uri Home { get; set; } = null!; }""",
            "Property 'User.Home' has type 'System.Uri', which AblyPgTyped cannot map to a column; use a supported type or mark it [AblyIgnore]",
            "Home"
        },
        {
            "APG0007", """[AblyTable("users", Insert = "x")] public sealed record User(int Id, System.TimeSpan[] Laps);""",
            "Property 'User.Laps' has type 'System.TimeSpan[]', which AblyPgTyped cannot map to a column; use a supported type or mark it [AblyIgnore]",
            "Laps"
        },
        {
            "APG0008", """
                [AblyTable("users", Insert = "a")] public sealed record User(int Id);
                [AblyTable("users", Schema = "public", Insert = "b")] public sealed record Person(int Id);
                """,
            "'Person' maps table \"public\".\"users\", which 'User' maps already; one table has one mapping",
            """AblyTable("users", Schema = "public", Insert = "b")"""
        },
        {
            "APG0009", """[AblyTable("users", Insert = "x")] public sealed record User(int Id, [property: AblyColumn("name")] string First, [property: AblyColumn("name")] string Last);""",
            "Properties 'User.First' and 'User.Last' both map column 'name'",
            "Last"
        },
        {
            "APG0010", """[AblyTable("users", Insert = "a", Update = "b", Delete = "c")] public sealed record User(int UserNumber, string Name);""",
            "'User' captures updates and deletes but has no key: mark the key properties [AblyKey] or add a property named Id",
            """AblyTable("users", Insert = "a", Update = "b", Delete = "c")"""
        },
        {
            "APG0011", """[AblyTable("users", Insert = "a")] public sealed class User { public User(string unrelated) { } public int Id { get; set; } }""",
            "'User' cannot be constructed from a row: it has no public or internal constructor whose parameters all match properties by name and type; add a parameterless constructor or one that takes the mapped properties",
            """AblyTable("users", Insert = "a")"""
        },
        {
            "APG0011", """[AblyTable("users", Insert = "a")] public abstract class User { public int Id { get; set; } }""",
            "'User' cannot be constructed from a row: it is abstract",
            """AblyTable("users", Insert = "a")"""
        },
        {
            "APG0012", """[AblyTable("users", Insert = "a")] public sealed class User<T> { public int Id { get; set; } }""",
            "'User<T>' cannot be mapped: generic types (and types nested in generic types) are not supported",
            """AblyTable("users", Insert = "a")"""
        },
        {
            "APG0012", """public static class Holder { [AblyTable("users", Insert = "a")] private sealed class User { public int Id { get; set; } } }""",
            "'Holder.User' cannot be mapped: it must be public or internal, and so must the types that contain it",
            """AblyTable("users", Insert = "a")"""
        },
        {
            "APG0013", """[AblyTable("users", Insert = "a")] public sealed class User { public int Id { get; set; } [AblyColumn("n")] public string Name { get; } = ""; }""",
            "Property 'User.Name' is marked [AblyColumn] but neither a constructor parameter nor a setter can set it",
            "Name"
        },
        {
            "APG0014", """[AblyTable("users", Insert = "a")] public sealed record User([property: AblyIgnore] int Id);""",
            "'User' maps no columns: it needs at least one public property that is not [AblyIgnore]",
            """AblyTable("users", Insert = "a")"""
        },
        {
            "APG0016", """[AblyTable("users", Insert = "a")] public sealed record User([property: AblyKey, AblyIgnore] int Id, string Name);""",
            "Property 'User.Id' is marked both [AblyKey] and [AblyIgnore]; a key is always captured",
            "Id"
        },
        {
            "APG0017", """[AblyTable("users", Insert = "a", Visibility = MappingVisibility.Public)] internal sealed record User(int Id);""",
            "The mapping of 'User' cannot be public: 'User' is internal; make the type public, or remove Visibility = MappingVisibility.Public",
            "MappingVisibility.Public"
        },
        {
            "APG0017", """internal static class Holder { [AblyTable("users", Insert = "a", Visibility = MappingVisibility.Public)] public sealed record User(int Id); }""",
            "The mapping of 'Holder.User' cannot be public: its containing type 'Holder' is internal; make the type public, or remove Visibility = MappingVisibility.Public",
            "MappingVisibility.Public"
        },
        {
            "APG0018", """
                [assembly: AblyTableDefaults(Visibility = MappingVisibility.Public)]
                [AblyTable("users", Insert = "a")] internal sealed record User(int Id);
                """,
            "The mapping of 'User' stays internal although the assembly's default visibility is Public, because 'User' is internal; make the type public, or set Visibility = MappingVisibility.Internal on its [AblyTable]",
            """AblyTable("users", Insert = "a")"""
        },
    };

    /// <summary>Diagnostics that only the naming convention causes: the names it gives are checked like any other.</summary>
    public static TheoryData<string, string, string, string> NamingCases => new()
    {
        {
            "APG0009", """[AblyTable("users", Insert = "x", ColumnNaming = ColumnNaming.SnakeCase)] public sealed record User(int Id, int OrderId, [property: AblyColumn("order_id")] int Order);""",
            "Properties 'User.OrderId' and 'User.Order' both map column 'order_id'",
            "Order"
        },
        {
            "APG0009", """
                [assembly: AblyTableDefaults(ColumnNaming = ColumnNaming.SnakeCase)]
                [AblyTable("users", Insert = "x")] public sealed record User(int Id, int HTTPStatus, int HttpStatus);
                """,
            "Properties 'User.HTTPStatus' and 'User.HttpStatus' both map column 'http_status'",
            "HttpStatus"
        },
        {
            "APG0002", """[AblyTable("users", Insert = "x", ColumnNaming = ColumnNaming.SnakeCase)] public sealed record User(int Id, int AAAA);""".Replace("AAAA", "AaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAa", System.StringComparison.Ordinal),
            "The column name 'aa_aa_aa_aa_aa_aa_aa_aa_aa_aa_aa_aa_aa_aa_aa_aa_aa_aa_aa_aa_aa_aa_aa' of 'User' is not a valid PostgreSQL identifier: it is 68 bytes long in UTF-8, and PostgreSQL truncates identifiers to 63",
            "AaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAa"
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    [MemberData(nameof(NamingCases))]
    public void Reports_the_diagnostic_with_its_message_at_the_offending_text(string id, string declaration, string message, string located)
    {
        var source = "using AblyPgTyped;\n" + declaration;
        var run = GeneratorHarness.Run(source);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics, d => d.Id == id);
        Assert.Equal(message, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(id == "APG0018" ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error, diagnostic.Severity);

        // A location in the syntax tree itself, not a copy of its path and span: #pragma and .editorconfig need the tree.
        Assert.True(diagnostic.Location.IsInSource, "The diagnostic has no source location.");
        Assert.Equal("Input.cs", diagnostic.Location.SourceTree!.FilePath);
        Assert.Equal(located, source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
    }

    [Fact]
    public void Every_diagnostic_of_the_catalogue_has_a_case()
    {
        var covered = Cases.Select(c => (string)c[0]).Append("APG0015").ToHashSet();

        Assert.All(DiagnosticCatalogue.Ids(), id => Assert.Contains(id, covered));
    }

    [Fact]
    public void A_warning_leaves_the_mapping_generated()
    {
        var run = GeneratorHarness.Run("""
            using AblyPgTyped;
            [assembly: AblyTableDefaults(Visibility = MappingVisibility.Public)]
            namespace Demo;
            [AblyTable("users", Insert = "a")] internal sealed record User(int Id);
            """);

        Assert.Equal("APG0018", Assert.Single(run.GeneratorDiagnostics).Id);
        Assert.Contains("internal sealed class UserAblyTable", run.Sources["Demo.UserAblyTable.g.cs"], System.StringComparison.Ordinal);
        Assert.DoesNotContain(run.CompilationDiagnostics, d => d.Id != "APG0018");
    }

    [Fact]
    public void An_invalid_mapping_emits_no_mapping_class()
    {
        var run = GeneratorHarness.Run("""using AblyPgTyped; [AblyTable("users")] public sealed record User(int Id);""");

        Assert.DoesNotContain(run.Sources.Keys, k => k.Contains("UserAblyTable", System.StringComparison.Ordinal));
    }

    [Fact]
    public void Reports_APG0015_when_the_project_uses_a_language_version_before_CSharp_11()
    {
        var run = GeneratorHarness.Run(
            """using AblyPgTyped; namespace Demo { [AblyTable("users", Insert = "a")] public sealed record User(int Id); }""",
            LanguageVersion.CSharp10);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("APG0015", diagnostic.Id);
        Assert.Equal("AblyPgTyped's generated code for 'User' needs C# 11 or later; this project uses C# 10.0", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(run.Sources);
    }

    [Fact]
    public void A_valid_mapping_reports_nothing()
    {
        var run = GeneratorHarness.Run("""
            using AblyPgTyped;
            namespace Demo;
            public enum Tier { Free, Paid }
            [AblyTable("accounts", Insert = "{Tier}:accounts:{Id}", Update = "accounts:{Id}", Delete = "accounts:{Id}")]
            public sealed record Account(System.Guid Id, Tier Tier, string? Email);
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationDiagnostics);
    }

    [Fact]
    public void Catalogue_and_release_tracking_list_the_same_ids()
    {
        var unshipped = System.IO.File.ReadAllLines(System.IO.Path.Combine(
            RepositoryPaths.Root, "generators", "AblyPgTyped.Generators", "AnalyzerReleases.Unshipped.md"));
        var tracked = unshipped.Where(l => l.StartsWith("APG", System.StringComparison.Ordinal)).Select(l => l.Split('|')[0].Trim()).ToArray();

        Assert.Equal(DiagnosticCatalogue.Ids(), tracked);
    }
}
