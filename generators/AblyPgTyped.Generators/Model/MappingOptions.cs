namespace AblyPgTyped.Generators.Model;

/// <summary>The generator's copy of <c>AblyPgTyped.MappingVisibility</c> (a generator cannot load the runtime): same values.</summary>
internal enum MappingVisibility
{
    Internal = 0,
    Public = 1,
}

/// <summary>The generator's copy of <c>AblyPgTyped.ColumnNaming</c>: same values.</summary>
internal enum ColumnNaming
{
    Exact = 0,
    SnakeCase = 1,
}

/// <summary>The generator's copy of <c>AblyPgTyped.ReplicaIdentity</c>: same values.</summary>
internal enum ReplicaIdentity
{
    Key = 0,
    Full = 1,
}

/// <summary>The assembly's <c>[AblyTableDefaults]</c>, or the built-in defaults when it has none.</summary>
internal sealed record MappingDefaults(MappingVisibility Visibility, ColumnNaming ColumnNaming)
{
    public static readonly MappingDefaults None = new(MappingVisibility.Internal, ColumnNaming.Exact);
}
