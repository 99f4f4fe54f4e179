using System;
using AblyPgTyped.Capture;

namespace AblyPgTyped;

/// <summary>One mapped column of an <see cref="AblyTable"/>.</summary>
/// <param name="Name">The column name in PostgreSQL (also the JSON member name in messages).</param>
/// <param name="Property">The mapped C# property.</param>
/// <param name="IsKey">Whether the column is part of the row's key.</param>
/// <param name="Capture">How the triggers render the value into the capture store.</param>
/// <param name="ValueType">
/// The property's value type, without <see cref="Nullable{T}"/>; for a collection, its element type. The connector checks
/// the column's PostgreSQL type against it at start. Null (a mapping written by hand) skips that check.
/// </param>
/// <param name="IsCollection">Whether the property is a collection of <paramref name="ValueType"/> (a PostgreSQL array).</param>
public sealed record AblyColumn(string Name, string Property, bool IsKey, ColumnCapture Capture = ColumnCapture.Value, Type? ValueType = null, bool IsCollection = false);
