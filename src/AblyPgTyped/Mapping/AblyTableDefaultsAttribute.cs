using System;

namespace AblyPgTyped;

/// <summary>
/// Sets the defaults for every <see cref="AblyTableAttribute"/> in this assembly. A setting on an
/// <see cref="AblyTableAttribute"/> wins over the default.
/// </summary>
/// <example>
/// <code>
/// [assembly: AblyTableDefaults(Visibility = MappingVisibility.Public, ColumnNaming = ColumnNaming.SnakeCase)]
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = false, Inherited = false)]
public sealed class AblyTableDefaultsAttribute : Attribute
{
    /// <summary>
    /// The accessibility of the generated mappings. <see cref="MappingVisibility.Public"/> makes the mappings of public
    /// types public; a mapping of an internal type stays internal (warning APG0018 says so). Defaults to
    /// <see cref="MappingVisibility.Internal"/>.
    /// </summary>
    public MappingVisibility Visibility { get; set; }

    /// <summary>How columns are named from properties. Defaults to <see cref="ColumnNaming.Exact"/>.</summary>
    public ColumnNaming ColumnNaming { get; set; }
}
