using AblyPgTyped.Generators.Model;
using Microsoft.CodeAnalysis;

namespace AblyPgTyped.Generators;

// ParsedTable and ResolvedTable carry the diagnostics with their real source Locations, which #pragma and .editorconfig
// need. They compare by value, a Location by its syntax tree and span, so an edit elsewhere leaves them equal (the
// attribute transform runs again on every compilation change), but any edit of their own file makes them differ: the
// generator therefore splits the location-free TableSpec off them for the sources, and reports only diagnostics from
// them (as System.Text.Json's generator does).

/// <summary>What parsing one <c>[AblyTable]</c> type yields, before the assembly's defaults are applied.</summary>
/// <param name="Draft">The spec with columns named as the properties (or their <c>[AblyColumn]</c>); null when the type has errors no default can change.</param>
/// <param name="Visibility">The <c>Visibility</c> set on the attribute, if any.</param>
/// <param name="ColumnNaming">The <c>ColumnNaming</c> set on the attribute, if any.</param>
/// <param name="NotPublicReason">Why the type cannot have a public mapping (for example "'User' is internal"); null when it is public.</param>
/// <param name="Columns">The mapped columns, to be named by the convention and checked.</param>
internal sealed record ParsedTable(
    TableIdentity Identity,
    TableSpec? Draft,
    MappingVisibility? Visibility,
    ColumnNaming? ColumnNaming,
    string? NotPublicReason,
    EquatableArray<ColumnDraft> Columns,
    EquatableArray<DiagnosticInfo> Diagnostics,
    Location? AttributeLocation);

/// <summary>A mapped column before the naming convention applies.</summary>
/// <param name="Spec">The column, named as its property or its <c>[AblyColumn]</c>.</param>
/// <param name="ExplicitName">Whether <c>[AblyColumn]</c> named it, so no convention applies.</param>
/// <param name="NameLocation">Where a bad name is reported: the <c>[AblyColumn]</c> argument, else the property.</param>
/// <param name="PropertyLocation">The property's declaration.</param>
internal sealed record ColumnDraft(ColumnSpec Spec, bool ExplicitName, Location? NameLocation, Location? PropertyLocation);

/// <summary>One type's outcome with the defaults applied: the spec when the type is valid, and every diagnostic of the type.</summary>
internal sealed record ResolvedTable(TableSpec? Spec, TableIdentity Identity, EquatableArray<DiagnosticInfo> Diagnostics, Location? AttributeLocation);

/// <summary>
/// A diagnostic at its real location, with value equality: <see cref="Diagnostic"/> itself compares its message arguments
/// by reference, so an unchanged diagnostic would never be seen as unchanged.
/// </summary>
internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, Location? Location, EquatableArray<string> Arguments)
{
    public bool IsError => Descriptor.DefaultSeverity == DiagnosticSeverity.Error;

    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params string[] arguments) =>
        new(descriptor, location, arguments.ToEquatableArray());

    public Diagnostic ToDiagnostic() => Diagnostic.Create(Descriptor, Location, [.. Arguments]);
}

/// <summary>The table a type maps, for the checks across types. Plain values.</summary>
internal sealed record TableIdentity(string TypeDisplay, string Schema, string Table);
