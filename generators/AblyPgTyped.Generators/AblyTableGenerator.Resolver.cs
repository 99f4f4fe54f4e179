using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using AblyPgTyped.Generators.Model;
using AblyPgTyped.Mapping;
using Microsoft.CodeAnalysis;

namespace AblyPgTyped.Generators;

public sealed partial class AblyTableGenerator
{
    /// <summary>
    /// Applies the assembly's <c>[AblyTableDefaults]</c> to a parsed type: its visibility, and the naming convention with
    /// the checks that depend on the names it gives.
    /// </summary>
    /// <remarks>
    /// A separate step because the defaults live in another file: the parse of a type is cached per file, and only this
    /// cheap step runs again when the defaults change.
    /// </remarks>
    internal static class Resolver
    {
        public static ResolvedTable Resolve(ParsedTable parsed, MappingDefaults defaults, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var diagnostics = parsed.Diagnostics.ToList();
            var errorsBefore = diagnostics.Count(d => d.IsError);
            var type = parsed.Identity.TypeDisplay;

            var visibility = parsed.Visibility ?? MappingVisibility.Internal;
            if (parsed.Visibility is null && defaults.Visibility == MappingVisibility.Public)
            {
                if (parsed.NotPublicReason is null)
                {
                    visibility = MappingVisibility.Public;
                }
                else
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DefaultVisibilityNotApplied, parsed.AttributeLocation, type, parsed.NotPublicReason));
                }
            }

            var naming = parsed.ColumnNaming ?? defaults.ColumnNaming;
            var columns = new List<ColumnSpec>(parsed.Columns.Count);
            var byName = new Dictionary<string, ColumnSpec>(StringComparer.Ordinal);
            foreach (var draft in parsed.Columns)
            {
                var name = draft.ExplicitName ? draft.Spec.Column : ColumnName(naming, draft.Spec.Property);
                if (Parser.IdentifierProblem(name) is { } problem)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidIdentifier, draft.NameLocation, "column", name, type, problem));
                }
                else if (byName.TryGetValue(name, out var first))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateColumn, draft.PropertyLocation, type, first.Property, draft.Spec.Property, name));
                }
                else
                {
                    byName.Add(name, draft.Spec);
                }

                columns.Add(draft.Spec with { Column = name });
            }

            var valid = parsed.Draft is not null && diagnostics.Count(d => d.IsError) == errorsBefore;
            var spec = valid
                ? parsed.Draft! with { Columns = columns.ToEquatableArray(), Visibility = visibility, ColumnNaming = naming }
                : null;
            return new ResolvedTable(spec, parsed.Identity, diagnostics.ToEquatableArray(), parsed.AttributeLocation);
        }

        private static string ColumnName(ColumnNaming naming, string property) =>
            naming == ColumnNaming.SnakeCase ? SnakeCaseNames.From(property) : property;
    }
}
