namespace AblyPgTyped;

/// <summary>The accessibility of the mapping class the generator emits for an <see cref="AblyTableAttribute"/> type.</summary>
/// <remarks>The generator mirrors these values; keep them in step.</remarks>
public enum MappingVisibility
{
    /// <summary>
    /// The mapping is <see langword="internal"/>: only the assembly that declares the type (and the assemblies it
    /// names in <c>InternalsVisibleTo</c>) can use it. The default.
    /// </summary>
    Internal = 0,

    /// <summary>
    /// The mapping is <see langword="public"/>, so a contracts assembly shared by a publisher and its consumers can hand
    /// its mappings to both. The mapped type must be public too.
    /// </summary>
    Public = 1,
}
