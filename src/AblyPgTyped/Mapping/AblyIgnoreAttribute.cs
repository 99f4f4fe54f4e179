using System;

namespace AblyPgTyped;

/// <summary>
/// Excludes a property from the mapping: its column is never captured by the triggers and never published
/// (for example a password hash). A constructor parameter that is ignored receives its default value.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
public sealed class AblyIgnoreAttribute : Attribute
{
}
