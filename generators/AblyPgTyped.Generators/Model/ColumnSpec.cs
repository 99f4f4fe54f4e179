namespace AblyPgTyped.Generators.Model;

/// <summary>One mapped property and its column.</summary>
/// <param name="Column">The PostgreSQL column name (the JSON member name too).</param>
/// <param name="Property">The C# property name.</param>
/// <param name="PropertyType">The property's type, fully qualified, with nullable annotations.</param>
/// <param name="Value">The scalar value kind (the element kind for collections).</param>
/// <param name="EnumType">For enums, the enum's fully qualified name.</param>
/// <param name="ValueNullable">Whether a scalar (or element) may be null: <c>Nullable&lt;T&gt;</c> or an annotated reference.</param>
/// <param name="Collection">Whether the property is a collection of <see cref="Value"/>.</param>
/// <param name="CollectionNullable">For collections, whether the collection itself may be null.</param>
/// <param name="IsKey">Whether the column is part of the key.</param>
internal sealed record ColumnSpec(
    string Column,
    string Property,
    string PropertyType,
    ValueKind Value,
    string? EnumType,
    bool ValueNullable,
    CollectionKind Collection,
    bool CollectionNullable,
    bool IsKey);

/// <summary>The supported scalar kinds.</summary>
internal enum ValueKind
{
    Boolean,
    Byte,
    SByte,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Single,
    Double,
    Decimal,
    String,
    Char,
    Guid,
    DateTime,
    DateTimeOffset,
    DateOnly,
    TimeOnly,
    TimeSpan,
    Bytes,
    Enum,
    JsonElement,
    JsonDocument,
}

/// <summary>How a column holds its values.</summary>
internal enum CollectionKind
{
    None,

    /// <summary><c>T[]</c>.</summary>
    Array,

    /// <summary><c>List&lt;T&gt;</c> or an interface it implements (IList, IReadOnlyList, ICollection, IEnumerable, …).</summary>
    List,
}
