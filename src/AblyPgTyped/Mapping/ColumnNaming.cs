namespace AblyPgTyped;

/// <summary>How the generator names the column of a property that has no <see cref="AblyColumnAttribute"/>.</summary>
/// <remarks>
/// The convention is applied at compile time: the emitted DDL, row mapper and <see cref="AblyColumn.Name"/> hold the
/// resulting names, and <see cref="AblyTable.ColumnNaming"/> reports which convention produced them.
/// <see cref="AblyColumnAttribute"/> always wins. The generator mirrors these values; keep them in step.
/// </remarks>
public enum ColumnNaming
{
    /// <summary>The column is named exactly as the property: <c>OrderId</c> maps column <c>"OrderId"</c>. The default.</summary>
    Exact = 0,

    /// <summary>
    /// The column is the property name in lower-case snake_case, as EF Core's <c>UseSnakeCaseNamingConvention()</c> and
    /// Npgsql's <c>NpgsqlSnakeCaseNameTranslator</c> name it: <c>OrderId</c> → <c>order_id</c>,
    /// <c>HTTPStatus</c> → <c>http_status</c>, <c>Address2</c> → <c>address2</c>, <c>Sha256Hash</c> → <c>sha256hash</c>.
    /// A word starts at an upper-case letter that follows a lower-case letter, or that follows another upper-case
    /// letter and is followed by a lower-case one; digits stay with the word before them; an underscore is kept.
    /// </summary>
    SnakeCase = 1,
}
