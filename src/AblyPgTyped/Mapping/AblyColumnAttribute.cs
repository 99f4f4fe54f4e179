using System;

namespace AblyPgTyped;

/// <summary>Names the column a property maps to when it differs from the property name.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
public sealed class AblyColumnAttribute : Attribute
{
    /// <summary>Maps the property to <paramref name="name"/>, exactly as PostgreSQL stores it.</summary>
    public AblyColumnAttribute(string name) => Name = name;

    /// <summary>The column name (case-sensitive; it is always quoted).</summary>
    public string Name { get; }
}
