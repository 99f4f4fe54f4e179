using System;

namespace AblyPgTyped;

/// <summary>
/// Marks a key column. Several properties may carry it for a composite key. Without any, a property named
/// <c>Id</c> is the key. Updates and deletes need a key: it identifies the row in every message.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
public sealed class AblyKeyAttribute : Attribute
{
}
