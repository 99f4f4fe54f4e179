namespace AblyPgTyped.Generators.Model;

/// <summary>The registry <c>{Namespace}.AblyPgTables</c>: one entry per valid mapping, ordered by type name.</summary>
/// <param name="Namespace">The project's root namespace, made a valid C# namespace; empty for the global namespace.</param>
internal sealed record RegistrySpec(string Namespace, EquatableArray<RegistryEntry> Entries);

/// <summary>What the registry needs of one mapping, so that editing a mapping's columns leaves the registry cached.</summary>
internal sealed record RegistryEntry(
    string Namespace,
    string TypeName,
    string FullyQualifiedType,
    string MappingClassName,
    string DisplayName,
    MappingVisibility Visibility)
{
    public static RegistryEntry From(TableSpec spec) =>
        new(spec.Namespace, spec.TypeName, spec.FullyQualifiedType, spec.MappingClassName, spec.DisplayName, spec.Visibility);
}
