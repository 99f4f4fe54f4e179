using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace AblyPgTyped.Generators;

/// <summary>Every diagnostic the generator reports. IDs are stable; keep AnalyzerReleases.*.md in step.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "AblyPgTyped";

    public static readonly DiagnosticDescriptor NoChannel = Error(
        "APG0001",
        "No operation has a channel",
        "'{0}' maps table {1} but sets no channel: set at least one of Insert, Update or Delete");

    public static readonly DiagnosticDescriptor InvalidIdentifier = Error(
        "APG0002",
        "Invalid PostgreSQL identifier",
        "The {0} name '{1}' of '{2}' is not a valid PostgreSQL identifier: {3}");

    public static readonly DiagnosticDescriptor InvalidChannel = Error(
        "APG0003",
        "Invalid Ably channel name",
        "The {0} channel '{1}' of '{2}' is not a valid Ably channel name: {3}");

    public static readonly DiagnosticDescriptor UnknownPlaceholder = Error(
        "APG0004",
        "Channel placeholder names an unknown property",
        "The {0} channel '{1}' of '{2}' uses placeholder {{{3}}}, but '{2}' has no mapped property named '{3}'");

    public static readonly DiagnosticDescriptor IgnoredPlaceholder = Error(
        "APG0005",
        "Channel placeholder names an ignored property",
        "The {0} channel '{1}' of '{2}' uses placeholder {{{3}}}, but '{3}' is marked [AblyIgnore] and is never captured");

    public static readonly DiagnosticDescriptor PlaceholderType = Error(
        "APG0006",
        "Channel placeholder has a type that cannot be put in a channel name",
        "The {0} channel '{1}' of '{2}' uses placeholder {{{3}}} of type '{4}'; a placeholder must be a string, char, bool, integer, Guid or enum");

    public static readonly DiagnosticDescriptor UnsupportedType = Error(
        "APG0007",
        "Unsupported property type",
        "Property '{0}.{1}' has type '{2}', which AblyPgTyped cannot map to a column; use a supported type or mark it [AblyIgnore]");

    public static readonly DiagnosticDescriptor DuplicateTable = Error(
        "APG0008",
        "Two types map the same table",
        "'{0}' maps table {1}, which '{2}' maps already; one table has one mapping");

    public static readonly DiagnosticDescriptor DuplicateColumn = Error(
        "APG0009",
        "Two properties map the same column",
        "Properties '{0}.{1}' and '{0}.{2}' both map column '{3}'");

    public static readonly DiagnosticDescriptor MissingKey = Error(
        "APG0010",
        "No key for updates or deletes",
        "'{0}' captures {1} but has no key: mark the key properties [AblyKey] or add a property named Id");

    public static readonly DiagnosticDescriptor NoConstructor = Error(
        "APG0011",
        "Type cannot be constructed from a row",
        "'{0}' cannot be constructed from a row: {1}");

    public static readonly DiagnosticDescriptor UnsupportedShape = Error(
        "APG0012",
        "Type cannot be mapped",
        "'{0}' cannot be mapped: {1}");

    public static readonly DiagnosticDescriptor NotSettable = Error(
        "APG0013",
        "Mapped property cannot be set",
        "Property '{0}.{1}' is marked [{2}] but neither a constructor parameter nor a setter can set it");

    public static readonly DiagnosticDescriptor NoColumns = Error(
        "APG0014",
        "No mapped columns",
        "'{0}' maps no columns: it needs at least one public property that is not [AblyIgnore]");

    public static readonly DiagnosticDescriptor LanguageVersion = Error(
        "APG0015",
        "C# 11 or later required",
        "AblyPgTyped's generated code for '{0}' needs C# 11 or later; this project uses C# {1}");

    public static readonly DiagnosticDescriptor KeyIgnored = Error(
        "APG0016",
        "Key property is ignored",
        "Property '{0}.{1}' is marked both [AblyKey] and [AblyIgnore]; a key is always captured");

    public static readonly DiagnosticDescriptor PublicMappingOfNonPublicType = Error(
        "APG0017",
        "A public mapping needs a public type",
        "The mapping of '{0}' cannot be public: {1}; make the type public, or remove Visibility = MappingVisibility.Public");

    // A warning, not an error: the mapping is still generated (internal), and a project may mean it.
    public static readonly DiagnosticDescriptor DefaultVisibilityNotApplied = Warning(
        "APG0018",
        "The assembly's default visibility cannot apply",
        "The mapping of '{0}' stays internal although the assembly's default visibility is Public, because {1}; make the type public, or set Visibility = MappingVisibility.Internal on its [AblyTable]");

    public static readonly IReadOnlyList<DiagnosticDescriptor> All =
    [
        NoChannel, InvalidIdentifier, InvalidChannel, UnknownPlaceholder, IgnoredPlaceholder, PlaceholderType,
        UnsupportedType, DuplicateTable, DuplicateColumn, MissingKey, NoConstructor, UnsupportedShape,
        NotSettable, NoColumns, LanguageVersion, KeyIgnored, PublicMappingOfNonPublicType, DefaultVisibilityNotApplied,
    ];

    private static DiagnosticDescriptor Error(string id, string title, string message) => Create(id, title, message, DiagnosticSeverity.Error);

    private static DiagnosticDescriptor Warning(string id, string title, string message) => Create(id, title, message, DiagnosticSeverity.Warning);

    private static DiagnosticDescriptor Create(string id, string title, string message, DiagnosticSeverity severity) =>
        new(id, title, message, Category, severity, isEnabledByDefault: true,
            helpLinkUri: "https://github.com/ablypgtyped/ablypgtyped#diagnostics");
}
