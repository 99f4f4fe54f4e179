using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;

namespace AblyPgTyped.Capture;

/// <summary>
/// A column's PostgreSQL type as the start-up check sees it: domains resolved to their base type, arrays to their
/// element type.
/// </summary>
/// <param name="Display">The column's type as PostgreSQL writes it (<c>format_type</c>), e.g. <c>character varying(20)</c>.</param>
/// <param name="Name">The base type's name in <c>pg_type</c>, e.g. <c>int4</c>, <c>timestamptz</c>.</param>
/// <param name="Kind">The base type's <c>typtype</c>: <c>b</c> base, <c>e</c> enum, <c>c</c> composite, <c>r</c> range, <c>m</c> multirange.</param>
/// <param name="Element">For an array, its element type; otherwise null.</param>
internal sealed record ColumnType(string Display, string Name, char Kind, ColumnType? Element)
{
    public bool IsArray => Element is not null;

    /// <summary>Reads the types of every column of the relation <paramref name="relationId"/>, by column name.</summary>
    public static async Task<Dictionary<string, ColumnType>> OfColumnsAsync(NpgsqlConnection connection, uint relationId, CancellationToken cancellationToken)
    {
        var columns = new List<(string Name, uint Type, string Display)>();
        await using (var command = new NpgsqlCommand(
            "SELECT a.attname::text, a.atttypid, pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a " +
            "WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped", connection))
        {
            command.Parameters.Add(new NpgsqlParameter<uint> { TypedValue = relationId, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                columns.Add((reader.GetString(0), reader.GetFieldValue<uint>(1), reader.GetString(2)));
            }
        }

        var catalog = new Dictionary<uint, TypeRow>();
        var result = new Dictionary<string, ColumnType>(System.StringComparer.Ordinal);
        foreach (var (name, type, display) in columns)
        {
            result[name] = await ResolveAsync(connection, catalog, type, display, cancellationToken);
        }

        return result;
    }

    private static async Task<ColumnType> ResolveAsync(NpgsqlConnection connection, Dictionary<uint, TypeRow> catalog, uint type, string display, CancellationToken cancellationToken)
    {
        var row = await RowAsync(connection, catalog, type, cancellationToken);
        for (var depth = 0; row.Kind == 'd' && depth < 32; depth++)
        {
            row = await RowAsync(connection, catalog, row.BaseType, cancellationToken);
        }

        ColumnType? element = null;
        if (row.Category == 'A' && row.ElementType != 0)
        {
            var elementRow = await RowAsync(connection, catalog, row.ElementType, cancellationToken);
            element = await ResolveAsync(connection, catalog, row.ElementType, elementRow.Name, cancellationToken);
        }

        return new ColumnType(display, row.Name, row.Kind, element);
    }

    private static async Task<TypeRow> RowAsync(NpgsqlConnection connection, Dictionary<uint, TypeRow> catalog, uint type, CancellationToken cancellationToken)
    {
        if (catalog.TryGetValue(type, out var known))
        {
            return known;
        }

        await using var command = new NpgsqlCommand(
            "SELECT t.typname::text, t.typtype, t.typcategory, t.typelem, t.typbasetype FROM pg_catalog.pg_type t WHERE t.oid = $1", connection);
        command.Parameters.Add(new NpgsqlParameter<uint> { TypedValue = type, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var row = await reader.ReadAsync(cancellationToken)
            ? new TypeRow(reader.GetString(0), reader.GetChar(1), reader.GetChar(2), reader.GetFieldValue<uint>(3), reader.GetFieldValue<uint>(4))
            : new TypeRow("?", 'b', 'X', 0, 0);
        catalog[type] = row;
        return row;
    }

    private readonly record struct TypeRow(string Name, char Kind, char Category, uint ElementType, uint BaseType);
}
