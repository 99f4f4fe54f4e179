using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using AblyPgTyped.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace AblyPgTyped.Generators;

/// <summary>
/// Generates, for each type marked <c>[AblyTable]</c>, its mapping class (capture DDL, row mapper, channel resolution)
/// and one registry of all mapped tables, <c>AblyPgTables</c>, in the project's root namespace.
/// </summary>
/// <remarks>
/// Sources are emitted from equatable specs only, so an edit that does not change a mapping (a blank line, a method body)
/// regenerates nothing. Diagnostics are reported from separate outputs that carry the real <see cref="Location"/>s,
/// which <c>#pragma warning disable</c> and <c>.editorconfig</c> severities need; those outputs run again on such edits,
/// which costs no source generation.
/// </remarks>
[Generator(LanguageNames.CSharp)]
public sealed partial class AblyTableGenerator : IIncrementalGenerator
{
    private const string AttributeName = "AblyPgTyped.AblyTableAttribute";
    private const string DefaultsAttributeName = "AblyPgTyped.AblyTableDefaultsAttribute";

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var defaults = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                DefaultsAttributeName,
                static (node, _) => node is CompilationUnitSyntax,
                static (attributeContext, _) => ReadDefaults(attributeContext.Attributes[0]))
            .Collect()
            .Select(static (all, _) => all.FirstOrDefault() ?? MappingDefaults.None)
            .WithTrackingName(TrackingNames.Defaults);

        var resolved = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                AttributeName,
                static (node, _) => node is ClassDeclarationSyntax or RecordDeclarationSyntax,
                Parser.Parse)
            .WithTrackingName(TrackingNames.Parse)
            .Combine(defaults)
            .Select(static (pair, cancellationToken) => Resolver.Resolve(pair.Left, pair.Right, cancellationToken))
            .WithTrackingName(TrackingNames.Resolve);

        var languageVersion = context.ParseOptionsProvider
            .Select(static (options, _) => ((CSharpParseOptions)options).LanguageVersion)
            .WithTrackingName(TrackingNames.LanguageVersion);

        // Diagnostics of each type, at their real locations.
        context.RegisterSourceOutput(resolved, static (spc, table) =>
        {
            foreach (var diagnostic in table.Diagnostics)
            {
                spc.ReportDiagnostic(diagnostic.ToDiagnostic());
            }
        });

        // Diagnostics across types: two types mapping one table, and a language version too old for the generated code.
        var identities = resolved
            .Select(static (table, _) => (table.Identity, table.AttributeLocation))
            .Collect()
            .WithTrackingName(TrackingNames.Identities);
        context.RegisterSourceOutput(identities.Combine(languageVersion), static (spc, pair) => ReportAcrossTypes(spc, pair.Left, pair.Right));

        var tables = resolved
            .Where(static table => table.Spec is not null)
            .Select(static (table, _) => table.Spec!)
            .WithTrackingName(TrackingNames.Tables);
        context.RegisterSourceOutput(tables.Combine(languageVersion), static (spc, pair) =>
        {
            if (pair.Right >= LanguageVersion.CSharp11)
            {
                spc.AddSource(HintName(pair.Left), Emitter.EmitTable(pair.Left));
            }
        });

        var registryNamespace = context.AnalyzerConfigOptionsProvider
            .Select(static (options, _) => options.GlobalOptions.TryGetValue("build_property.RootNamespace", out var value) ? value : null)
            .Combine(context.CompilationProvider.Select(static (compilation, _) => compilation.AssemblyName))
            .Select(static (pair, _) => NamespaceFrom(pair.Left, pair.Right))
            .WithTrackingName(TrackingNames.RegistryNamespace);
        var registry = tables
            .Select(static (spec, _) => RegistryEntry.From(spec))
            .Collect()
            .Combine(registryNamespace)
            .Select(static (pair, _) => new RegistrySpec(
                pair.Right,
                pair.Left.OrderBy(static e => e.FullyQualifiedType, System.StringComparer.Ordinal).ToEquatableArray()))
            .WithTrackingName(TrackingNames.Registry);
        context.RegisterSourceOutput(registry.Combine(languageVersion), static (spc, pair) =>
        {
            if (pair.Right >= LanguageVersion.CSharp11 && pair.Left.Entries.Count > 0)
            {
                spc.AddSource("AblyPgTables.g.cs", Emitter.EmitRegistry(pair.Left));
            }
        });
    }

    private static MappingDefaults ReadDefaults(AttributeData attribute)
    {
        var visibility = MappingVisibility.Internal;
        var naming = ColumnNaming.Exact;
        foreach (var argument in attribute.NamedArguments)
        {
            if (argument.Value.Value is int value)
            {
                if (argument.Key == "Visibility")
                {
                    visibility = (MappingVisibility)value;
                }
                else if (argument.Key == "ColumnNaming")
                {
                    naming = (ColumnNaming)value;
                }
            }
        }

        return new MappingDefaults(visibility, naming);
    }

    private static void ReportAcrossTypes(
        SourceProductionContext context,
        ImmutableArray<(TableIdentity Identity, Location? Location)> types,
        LanguageVersion version)
    {
        var owners = new Dictionary<(string, string), TableIdentity>();
        foreach (var (identity, location) in types)
        {
            var key = (identity.Schema, identity.Table);
            if (owners.TryGetValue(key, out var owner))
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    DiagnosticDescriptors.DuplicateTable,
                    location,
                    identity.TypeDisplay,
                    AblyPgTyped.Capture.CaptureSql.QualifiedName(identity.Schema, identity.Table),
                    owner.TypeDisplay));
            }
            else
            {
                owners.Add(key, identity);
            }

            if (version < LanguageVersion.CSharp11)
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.LanguageVersion, location, identity.TypeDisplay, version.ToDisplayString()));
            }
        }
    }

    /// <summary>
    /// The registry's namespace: MSBuild's <c>RootNamespace</c> (which the .NET SDK passes to generators), else the
    /// assembly name, made a valid C# namespace (<c>My-App</c> becomes <c>My_App</c>); empty for the global namespace.
    /// </summary>
    internal static string NamespaceFrom(string? rootNamespace, string? assemblyName)
    {
        var source = string.IsNullOrWhiteSpace(rootNamespace) ? assemblyName : rootNamespace;
        var parts = (source ?? "")
            .Split('.')
            .Select(static part => part.Trim())
            .Where(static part => part.Length > 0)
            .Select(Identifier);
        return string.Join(".", parts);
    }

    private static string Identifier(string part)
    {
        var builder = new StringBuilder(part.Length + 1);
        foreach (var c in part)
        {
            builder.Append(SyntaxFacts.IsIdentifierPartCharacter(c) ? c : '_');
        }

        if (!SyntaxFacts.IsIdentifierStartCharacter(builder[0]))
        {
            builder.Insert(0, '_');
        }

        var name = builder.ToString();
        return SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) == SyntaxKind.GlobalKeyword
            ? "@" + name
            : name;
    }

    private static string HintName(TableSpec spec) =>
        (spec.Namespace.Length == 0 ? "" : spec.Namespace + ".") + spec.MappingClassName + ".g.cs";
}
