using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using AblyPgTyped.Capture;
using AblyPgTyped.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace AblyPgTyped.Generators;

public sealed partial class AblyTableGenerator
{
    internal static class Parser
    {
        private const string AttributeNamespace = "AblyPgTyped";

        private static readonly SymbolDisplayFormat s_messageFormat = new(
            typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypes,
            genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters,
            miscellaneousOptions: SymbolDisplayMiscellaneousOptions.UseSpecialTypes);

        private static readonly SymbolDisplayFormat s_typeFormat = SymbolDisplayFormat.FullyQualifiedFormat
            .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

        public static ParsedTable Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var type = (INamedTypeSymbol)context.TargetSymbol;
            var attribute = context.Attributes[0];
            var syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
            return new TypeParser(type, attribute, syntax).Parse(cancellationToken);
        }

        /// <summary>Why <paramref name="name"/> is not a PostgreSQL identifier, or null when it is one.</summary>
        internal static string? IdentifierProblem(string? name)
        {
            if (string.IsNullOrEmpty(name))
            {
                return "it is empty";
            }

            if (name!.IndexOf('\0') >= 0)
            {
                return "it contains a NUL character";
            }

            var bytes = Encoding.UTF8.GetByteCount(name);
            return bytes > CaptureSql.MaxIdentifierBytes
                ? $"it is {bytes} bytes long in UTF-8, and PostgreSQL truncates identifiers to {CaptureSql.MaxIdentifierBytes}"
                : null;
        }

        /// <summary>Parses one type; holds the state that the checks share.</summary>
        private sealed class TypeParser
        {
            private readonly INamedTypeSymbol _type;
            private readonly AttributeData _attribute;
            private readonly AttributeSyntax? _syntax;
            private readonly string _display;
            private readonly List<DiagnosticInfo> _diagnostics = [];

            public TypeParser(INamedTypeSymbol type, AttributeData attribute, AttributeSyntax? syntax)
            {
                _type = type;
                _attribute = attribute;
                _syntax = syntax;
                _display = type.ToDisplayString(s_messageFormat);
            }

            public ParsedTable Parse(CancellationToken cancellationToken)
            {
                var table = _attribute.ConstructorArguments.Length > 0 ? _attribute.ConstructorArguments[0].Value as string : null;
                var schema = NamedArgument("Schema") ?? "public";
                var identity = new TableIdentity(_display, schema, table ?? "");

                CheckShape();
                CheckIdentifier("table", table, ArgumentLocation(null));
                CheckIdentifier("schema", schema, ArgumentLocation("Schema"));

                var visibility = EnumArgument<MappingVisibility>("Visibility");
                var naming = EnumArgument<ColumnNaming>("ColumnNaming");
                var notPublic = NotPublicReason();
                if (visibility == MappingVisibility.Public && notPublic is not null)
                {
                    Report(DiagnosticDescriptors.PublicMappingOfNonPublicType, ArgumentLocation("Visibility"), _display, notPublic);
                }

                var properties = CollectProperties(cancellationToken);
                var construction = ChooseConstruction(properties);
                var columns = properties.Where(p => p.Mapped).ToList();
                if (columns.Count == 0 && properties.All(p => p.Ignored || p.Kind is not null))
                {
                    Report(DiagnosticDescriptors.NoColumns, AttributeLocation(), _display);
                }

                var keys = ChooseKeys(columns);

                var channels = new List<ChannelSpec>();
                foreach (var operation in new[] { ChangeOperation.Insert, ChangeOperation.Update, ChangeOperation.Delete })
                {
                    if (NamedArgument(operation.ToString()) is { } template)
                    {
                        var channel = ParseChannel(operation, template, properties);
                        if (channel is not null)
                        {
                            channels.Add(channel);
                        }
                    }
                }

                var captured = new[] { "Insert", "Update", "Delete" }.Where(o => NamedArgument(o) is not null).ToList();
                if (captured.Count == 0)
                {
                    Report(DiagnosticDescriptors.NoChannel, AttributeLocation(), _display, CaptureSql.QualifiedName(schema, table ?? ""));
                }

                var modifying = captured.Where(o => o != "Insert").Select(o => o.ToLowerInvariant() + "s").ToList();
                if (modifying.Count > 0 && keys.Count == 0 && columns.Count > 0)
                {
                    Report(DiagnosticDescriptors.MissingKey, AttributeLocation(), _display, string.Join(" and ", modifying));
                }

                var columnDrafts = columns
                    .Select(p => new ColumnDraft(
                        new ColumnSpec(p.Column, p.Name, p.TypeDisplay, p.Kind!.Value, p.EnumType, p.ValueNullable, p.Collection, p.CollectionNullable, keys.Contains(p)),
                        p.ExplicitColumn,
                        p.ColumnLocation ?? p.Location,
                        p.Location))
                    .ToEquatableArray();

                TableSpec? draft = null;
                if (!_diagnostics.Any(d => d.IsError) && construction is not null)
                {
                    draft = new TableSpec(
                        _type.ContainingNamespace.IsGlobalNamespace ? "" : _type.ContainingNamespace.ToDisplayString(),
                        _type.Name,
                        _type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
                        MappingClassName(),
                        schema,
                        table!,
                        columnDrafts.Select(c => c.Spec).ToEquatableArray(),
                        channels.ToEquatableArray(),
                        construction,
                        CollectEnums(properties),
                        MappingVisibility.Internal,
                        ColumnNaming.Exact,
                        EnumArgument<ReplicaIdentity>("ReplicaIdentity") ?? ReplicaIdentity.Key);
                }

                return new ParsedTable(identity, draft, visibility, naming, notPublic, columnDrafts, _diagnostics.ToEquatableArray(), AttributeLocation());
            }

            private void CheckShape()
            {
                string? problem = null;
                if (_type.IsStatic)
                {
                    problem = "it is static";
                }
                else if (_type.IsGenericType || ContainingTypes().Any(t => t.IsGenericType))
                {
                    problem = "generic types (and types nested in generic types) are not supported";
                }
                else if (_type.IsFileLocal || ContainingTypes().Prepend(_type).Any(t => t.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal)))
                {
                    problem = "it must be public or internal, and so must the types that contain it";
                }

                if (problem is not null)
                {
                    Report(DiagnosticDescriptors.UnsupportedShape, AttributeLocation(), _display, problem);
                }
                else if (_type.IsAbstract)
                {
                    Report(DiagnosticDescriptors.NoConstructor, AttributeLocation(), _display, "it is abstract");
                }
            }

            private void CheckIdentifier(string kind, string? name, Location? location)
            {
                var problem = IdentifierProblem(name);
                if (problem is not null)
                {
                    Report(DiagnosticDescriptors.InvalidIdentifier, location, kind, name ?? "", _display, problem);
                }
            }

            private List<PropertyModel> CollectProperties(CancellationToken cancellationToken)
            {
                var primaryParameters = PrimaryConstructor()?.Parameters.ToDictionary(p => p.Name, StringComparer.Ordinal)
                    ?? new Dictionary<string, IParameterSymbol>(StringComparer.Ordinal);
                var seen = new HashSet<string>(StringComparer.Ordinal);
                var chain = new List<List<PropertyModel>>();
                for (var current = _type; current is not null && current.SpecialType != SpecialType.System_Object; current = current.BaseType)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var level = new List<PropertyModel>();
                    foreach (var property in current.GetMembers().OfType<IPropertySymbol>())
                    {
                        if (property.IsStatic || property.IsIndexer || property.GetMethod is null || !IsVisible(property.DeclaredAccessibility)
                            || !IsVisible(property.GetMethod.DeclaredAccessibility) || !seen.Add(property.Name))
                        {
                            continue;
                        }

                        primaryParameters.TryGetValue(property.Name, out var parameter);
                        level.Add(DescribeProperty(property, parameter));
                    }

                    chain.Add(level);
                }

                chain.Reverse();
                return chain.SelectMany(level => level).ToList();
            }

            private PropertyModel DescribeProperty(IPropertySymbol property, IParameterSymbol? parameter)
            {
                var attributes = property.GetAttributes().Concat(parameter is null ? Enumerable.Empty<AttributeData>() : parameter.GetAttributes()).ToList();
                var ignored = HasAttribute(attributes, "AblyIgnoreAttribute");
                var key = HasAttribute(attributes, "AblyKeyAttribute");
                var columnAttribute = attributes.FirstOrDefault(a => IsAttribute(a, "AblyColumnAttribute"));
                var location = property.Locations.FirstOrDefault(l => l.IsInSource) ?? parameter?.Locations.FirstOrDefault();
                var model = new PropertyModel(property, location)
                {
                    Ignored = ignored,
                    ExplicitKey = key,
                    ExplicitColumn = columnAttribute is not null,
                    Column = columnAttribute?.ConstructorArguments.FirstOrDefault().Value as string ?? property.Name,
                    Settable = property.SetMethod is { } setter && IsVisible(setter.DeclaredAccessibility),
                };

                if (ignored)
                {
                    if (key)
                    {
                        Report(DiagnosticDescriptors.KeyIgnored, location, _display, property.Name);
                    }

                    return model;
                }

                if (!TypeClassifier.TryClassify(property.Type, model))
                {
                    Report(DiagnosticDescriptors.UnsupportedType, location, _display, property.Name, property.Type.ToDisplayString());
                    return model;
                }

                model.TypeDisplay = property.Type.ToDisplayString(s_typeFormat);
                if (columnAttribute?.ApplicationSyntaxReference?.GetSyntax() is AttributeSyntax { ArgumentList.Arguments.Count: > 0 } columnSyntax)
                {
                    model.ColumnLocation = columnSyntax.ArgumentList.Arguments[0].GetLocation();
                }

                return model;
            }

            private ConstructionSpec? ChooseConstruction(List<PropertyModel> properties)
            {
                if (_type.IsAbstract || _type.IsStatic)
                {
                    return null;
                }

                var byName = properties.GroupBy(p => p.Name, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
                IMethodSymbol? chosen = null;
                List<PropertyModel>? bound = null;
                foreach (var constructor in _type.InstanceConstructors.OrderByDescending(c => c.Parameters.Length))
                {
                    if (!IsVisible(constructor.DeclaredAccessibility) || IsCopyConstructor(constructor))
                    {
                        continue;
                    }

                    var matches = constructor.Parameters
                        .Select(p => byName.TryGetValue(p.Name, out var property) && SameType(p.Type, property.Symbol.Type) ? property : null)
                        .ToList();
                    if (matches.All(m => m is not null))
                    {
                        chosen = constructor;
                        bound = matches!;
                        break;
                    }
                }

                if (chosen is null)
                {
                    Report(DiagnosticDescriptors.NoConstructor, AttributeLocation(), _display,
                        "it has no public or internal constructor whose parameters all match properties by name and type; add a parameterless constructor or one that takes the mapped properties");
                    return null;
                }

                var boundNames = new HashSet<string>(bound!.Select(p => p.Name), StringComparer.Ordinal);
                var initialized = new List<string>();
                foreach (var property in properties.Where(p => !p.Ignored && p.Kind is not null && !boundNames.Contains(p.Name)))
                {
                    if (property.Settable)
                    {
                        initialized.Add(property.Name);
                    }
                    else if (property.ExplicitColumn || property.ExplicitKey)
                    {
                        Report(DiagnosticDescriptors.NotSettable, property.Location, _display, property.Name, property.ExplicitColumn ? "AblyColumn" : "AblyKey");
                    }
                    else
                    {
                        // A get-only property that no constructor sets is computed, not a column.
                        property.Computed = true;
                    }
                }

                var setsRequired = chosen.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == "System.Diagnostics.CodeAnalysis.SetsRequiredMembersAttribute");
                var defaulted = setsRequired
                    ? []
                    : properties.Where(p => p.Ignored && p.Symbol.IsRequired && !boundNames.Contains(p.Name)).Select(p => p.Name).ToList();

                return new ConstructionSpec(
                    bound.Select(p => new OptionalName(p.Ignored ? null : p.Name)).ToEquatableArray(),
                    initialized.ToEquatableArray(),
                    defaulted.ToEquatableArray());
            }

            private static HashSet<PropertyModel> ChooseKeys(List<PropertyModel> columns)
            {
                var explicitKeys = columns.Where(p => p.ExplicitKey).ToList();
                return explicitKeys.Count > 0
                    ? [.. explicitKeys]
                    : [.. columns.Where(p => string.Equals(p.Name, "Id", StringComparison.OrdinalIgnoreCase)).Take(1)];
            }

            private ChannelSpec? ParseChannel(ChangeOperation operation, string template, List<PropertyModel> properties)
            {
                var location = ArgumentLocation(operation.ToString());
                var kind = operation.ToString().ToLowerInvariant();
                var parsed = ChannelTemplate.Parse(template);
                if (parsed.Problem is not null)
                {
                    Report(DiagnosticDescriptors.InvalidChannel, location, kind, template, _display, parsed.Problem);
                    return null;
                }

                var segments = new List<ChannelSegment>();
                var valid = true;
                foreach (var (text, isPlaceholder) in parsed.Parts)
                {
                    if (!isPlaceholder)
                    {
                        segments.Add(new ChannelSegment(text, PlaceholderFormat.Literal, false, null));
                        continue;
                    }

                    var property = properties.FirstOrDefault(p => p.Name == text);
                    if (property is { Ignored: true })
                    {
                        Report(DiagnosticDescriptors.IgnoredPlaceholder, location, kind, template, _display, text);
                        valid = false;
                    }
                    else if (property is null || property.Computed || property.Kind is null)
                    {
                        if (property is null || property.Computed)
                        {
                            Report(DiagnosticDescriptors.UnknownPlaceholder, location, kind, template, _display, text);
                        }

                        valid = false;
                    }
                    else if (TypeClassifier.PlaceholderFormatOf(property) is { } format)
                    {
                        segments.Add(new ChannelSegment(text, format, property.ValueNullable, property.EnumType));
                    }
                    else
                    {
                        Report(DiagnosticDescriptors.PlaceholderType, location, kind, template, _display, text, property.Symbol.Type.ToDisplayString());
                        valid = false;
                    }
                }

                return valid ? new ChannelSpec(operation, template, segments.ToEquatableArray()) : null;
            }

            private EquatableArray<EnumSpec> CollectEnums(List<PropertyModel> properties)
            {
                var enums = new List<EnumSpec>();
                var suffixes = new HashSet<string>(StringComparer.Ordinal);
                foreach (var property in properties.Where(p => p.Mapped && p.EnumSymbol is not null))
                {
                    var symbol = property.EnumSymbol!;
                    var name = symbol.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
                    if (enums.Any(e => e.FullyQualifiedName == name))
                    {
                        continue;
                    }

                    var suffix = symbol.Name;
                    for (var i = 2; !suffixes.Add(suffix); i++)
                    {
                        suffix = symbol.Name + i;
                    }

                    var members = symbol.GetMembers().OfType<IFieldSymbol>()
                        .Where(f => f.HasConstantValue)
                        .GroupBy(f => Convert.ToDecimal(f.ConstantValue, System.Globalization.CultureInfo.InvariantCulture))
                        .Select(g => g.First().Name)
                        .ToEquatableArray();
                    var unsigned = symbol.EnumUnderlyingType?.SpecialType is SpecialType.System_Byte or SpecialType.System_UInt16 or SpecialType.System_UInt32 or SpecialType.System_UInt64;
                    enums.Add(new EnumSpec(name, suffix, unsigned, members));
                }

                return enums.ToEquatableArray();
            }

            /// <summary>Why the type cannot have a public mapping, or null when it and every type containing it are public.</summary>
            private string? NotPublicReason()
            {
                if (_type.DeclaredAccessibility != Accessibility.Public)
                {
                    return $"'{_display}' is {Keyword(_type.DeclaredAccessibility)}";
                }

                var container = ContainingTypes().FirstOrDefault(t => t.DeclaredAccessibility != Accessibility.Public);
                return container is null
                    ? null
                    : $"its containing type '{container.ToDisplayString(s_messageFormat)}' is {Keyword(container.DeclaredAccessibility)}";
            }

            private static string Keyword(Accessibility accessibility) => accessibility switch
            {
                Accessibility.Private => "private",
                Accessibility.ProtectedAndInternal => "private protected",
                Accessibility.Protected => "protected",
                Accessibility.ProtectedOrInternal => "protected internal",
                _ => "internal",
            };

            private string MappingClassName() =>
                string.Concat(ContainingTypes().Reverse().Select(t => t.Name)) + _type.Name + "AblyTable";

            private IEnumerable<INamedTypeSymbol> ContainingTypes()
            {
                for (var t = _type.ContainingType; t is not null; t = t.ContainingType)
                {
                    yield return t;
                }
            }

            private IMethodSymbol? PrimaryConstructor() =>
                _type.InstanceConstructors.FirstOrDefault(c => c.DeclaringSyntaxReferences.Any(r => r.GetSyntax() is TypeDeclarationSyntax));

            private bool IsCopyConstructor(IMethodSymbol constructor) =>
                _type.IsRecord && constructor.Parameters.Length == 1 && SymbolEqualityComparer.Default.Equals(constructor.Parameters[0].Type, _type);

            private static bool SameType(ITypeSymbol a, ITypeSymbol b) => SymbolEqualityComparer.Default.Equals(a, b);

            private static bool IsVisible(Accessibility accessibility) =>
                accessibility is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal;

            private static bool HasAttribute(IEnumerable<AttributeData> attributes, string name) => attributes.Any(a => IsAttribute(a, name));

            private static bool IsAttribute(AttributeData attribute, string name) =>
                attribute.AttributeClass is { } c && c.Name == name && c.ContainingNamespace.ToDisplayString() == AttributeNamespace;

            private string? NamedArgument(string name) =>
                _attribute.NamedArguments.FirstOrDefault(a => a.Key == name).Value.Value as string;

            /// <summary>An enum-valued named argument, or null when the attribute does not set it.</summary>
            private T? EnumArgument<T>(string name)
                where T : struct, Enum =>
                _attribute.NamedArguments.FirstOrDefault(a => a.Key == name).Value.Value is int value ? (T)(object)value : null;

            private Location? AttributeLocation() => _syntax?.GetLocation() ?? _type.Locations.FirstOrDefault();

            /// <summary>The location of a named argument, or of the first positional one when <paramref name="name"/> is null.</summary>
            private Location? ArgumentLocation(string? name)
            {
                var arguments = _syntax?.ArgumentList?.Arguments ?? default;
                var argument = name is null
                    ? arguments.FirstOrDefault(a => a.NameEquals is null)
                    : arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == name);
                return argument?.Expression.GetLocation() ?? AttributeLocation();
            }

            private void Report(DiagnosticDescriptor descriptor, Location? location, params string[] arguments) =>
                _diagnostics.Add(DiagnosticInfo.Create(descriptor, location, arguments));
        }
    }
}
