using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using AblyPgTyped.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace AblyPgTyped.Generators;

/// <summary>
/// Generates, for each type marked <c>[AblyTable]</c>, its mapping class (capture DDL, row mapper, channel resolution)
/// and one registry of all mapped tables, <c>AblyPgTyped.Generated.AblyPgTables</c>.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class AblyTableGenerator : IIncrementalGenerator
{
    private const string AttributeName = "AblyPgTyped.AblyTableAttribute";

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                AttributeName,
                static (node, _) => node is ClassDeclarationSyntax or RecordDeclarationSyntax,
                Parser.Parse)
            .WithTrackingName(TrackingNames.Parse);

        // Diagnostics travel separately from the specs, so a spec stays cached while its diagnostics change.
        var diagnostics = parsed
            .Select(static (result, _) => result.Diagnostics)
            .WithTrackingName(TrackingNames.Diagnostics);
        context.RegisterSourceOutput(diagnostics, static (spc, items) =>
        {
            foreach (var item in items)
            {
                spc.ReportDiagnostic(item.ToDiagnostic());
            }
        });

        var languageVersion = context.ParseOptionsProvider
            .Select(static (options, _) => ((CSharpParseOptions)options).LanguageVersion)
            .WithTrackingName(TrackingNames.LanguageVersion);

        var tables = parsed
            .Where(static result => result.Spec is not null)
            .Select(static (result, _) => result.Spec!)
            .WithTrackingName(TrackingNames.Tables);
        context.RegisterSourceOutput(tables.Combine(languageVersion), static (spc, pair) =>
        {
            if (pair.Right >= LanguageVersion.CSharp11)
            {
                spc.AddSource(HintName(pair.Left), Emitter.EmitTable(pair.Left));
            }
        });

        var registry = parsed
            .Select(static (result, _) => (result.Spec, result.Identity))
            .Collect()
            .Select(static (items, _) => BuildRegistry(items))
            .WithTrackingName(TrackingNames.Registry);
        context.RegisterSourceOutput(registry.Combine(languageVersion), static (spc, pair) =>
        {
            var (model, version) = pair;
            foreach (var duplicate in model.Duplicates)
            {
                spc.ReportDiagnostic(duplicate.ToDiagnostic());
            }

            if (version < LanguageVersion.CSharp11)
            {
                foreach (var identity in model.Identities)
                {
                    spc.ReportDiagnostic(Diagnostic.Create(
                        DiagnosticDescriptors.LanguageVersion, identity.Location?.ToLocation(), identity.TypeDisplay, version.ToDisplayString()));
                }

                return;
            }

            if (model.Tables.Count > 0)
            {
                spc.AddSource("AblyPgTables.g.cs", Emitter.EmitRegistry(model.Tables));
            }
        });
    }

    private static RegistryModel BuildRegistry(ImmutableArray<(TableSpec? Spec, TableIdentity Identity)> items)
    {
        var owners = new Dictionary<(string, string), TableIdentity>();
        var duplicates = new List<DiagnosticInfo>();
        foreach (var (_, identity) in items)
        {
            var key = (identity.Schema, identity.Table);
            if (owners.TryGetValue(key, out var owner))
            {
                duplicates.Add(new DiagnosticInfo(
                    DiagnosticDescriptors.DuplicateTable.Id,
                    identity.Location,
                    new[] { identity.TypeDisplay, AblyPgTyped.Capture.CaptureSql.QualifiedName(identity.Schema, identity.Table), owner.TypeDisplay }.ToEquatableArray()));
            }
            else
            {
                owners.Add(key, identity);
            }
        }

        return new RegistryModel(
            items.Where(i => i.Spec is not null).Select(i => i.Spec!).OrderBy(s => s.FullyQualifiedType, System.StringComparer.Ordinal).ToEquatableArray(),
            items.Select(i => i.Identity).ToEquatableArray(),
            duplicates.ToEquatableArray());
    }

    private static string HintName(TableSpec spec) =>
        (spec.Namespace.Length == 0 ? "" : spec.Namespace + ".") + spec.MappingClassName + ".g.cs";

    /// <summary>All tables of the compilation, for the registry and the cross-type checks.</summary>
    internal sealed record RegistryModel(EquatableArray<TableSpec> Tables, EquatableArray<TableIdentity> Identities, EquatableArray<DiagnosticInfo> Duplicates);
}
