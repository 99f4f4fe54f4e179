namespace AblyPgTyped.Generators.Model;

/// <summary>Everything the emitter needs for one mapped type: names, columns, channels, construction. No symbols.</summary>
/// <param name="Visibility">The accessibility of the mapping class, with the assembly's default applied.</param>
/// <param name="ColumnNaming">The convention that named the columns, with the assembly's default applied.</param>
/// <param name="ReplicaIdentity">What <c>old</c> carries with logical-replication capture.</param>
internal sealed record TableSpec(
    string Namespace,
    string TypeName,
    string FullyQualifiedType,
    string MappingClassName,
    string Schema,
    string Table,
    EquatableArray<ColumnSpec> Columns,
    EquatableArray<ChannelSpec> Channels,
    ConstructionSpec Construction,
    EquatableArray<EnumSpec> Enums,
    MappingVisibility Visibility,
    ColumnNaming ColumnNaming,
    ReplicaIdentity ReplicaIdentity)
{
    public string DisplayName => Schema + "." + Table;
}

/// <summary>How the generated reader builds the type: constructor arguments, then initialised members.</summary>
/// <param name="ConstructorArguments">Per constructor parameter, the column's property name, or null for a default (ignored parameter).</param>
/// <param name="InitializedProperties">Mapped properties set in the object initializer.</param>
/// <param name="DefaultedRequiredProperties">Ignored <c>required</c> members that must still be set.</param>
internal sealed record ConstructionSpec(
    EquatableArray<OptionalName> ConstructorArguments,
    EquatableArray<string> InitializedProperties,
    EquatableArray<string> DefaultedRequiredProperties);

/// <summary>A string that may be absent, made equatable for <see cref="EquatableArray{T}"/>.</summary>
internal sealed record OptionalName(string? Value);
