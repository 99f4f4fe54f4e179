using AblyPgTyped.Capture;

namespace AblyPgTyped;

/// <summary>One mapped column of an <see cref="AblyTable"/>.</summary>
/// <param name="Name">The column name in PostgreSQL (also the JSON member name in messages).</param>
/// <param name="Property">The mapped C# property.</param>
/// <param name="IsKey">Whether the column is part of the row's key.</param>
/// <param name="Capture">How the triggers render the value into the capture store.</param>
public sealed record AblyColumn(string Name, string Property, bool IsKey, ColumnCapture Capture = ColumnCapture.Value);
