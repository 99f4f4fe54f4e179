using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;

namespace AblyPgTyped.Capture;

/// <summary>
/// The start-up check of every mapping against the catalog: the table exists and is a table, and every mapped column
/// exists in a type its property can be read from (<see cref="ColumnTypeRules"/>). A table that capture was installed on
/// but that has since been dropped or renamed is not an error: it is set aside, so the other tables keep flowing.
/// Reads only the catalog (by name, never through <c>regclass</c>), so it needs no privilege on the tables or schemas.
/// </summary>
internal sealed class MappingCheck
{
    /// <summary>What stops the start: a table that never existed, a missing column, a type that does not fit.</summary>
    public List<string> Problems { get; } = [];

    /// <summary>Mappings whose table is there and fits.</summary>
    public List<ChangeMapping> Present { get; } = [];

    /// <summary>Mappings whose table was dropped or renamed after capture was installed on it.</summary>
    public List<SetAsideMapping> SetAside { get; } = [];

    public static async Task<MappingCheck> RunAsync(NpgsqlConnection connection, string captureSchema, IReadOnlyList<ChangeMapping> mappings, CancellationToken cancellationToken)
    {
        var check = new MappingCheck();
        foreach (var mapping in mappings)
        {
            await check.CheckAsync(connection, captureSchema, mapping, cancellationToken);
        }

        return check;
    }

    private async Task CheckAsync(NpgsqlConnection connection, string captureSchema, ChangeMapping mapping, CancellationToken cancellationToken)
    {
        var qualified = CaptureSql.QualifiedName(mapping.Schema, mapping.TableName);
        uint relationId;
        char kind;
        await using (var command = new NpgsqlCommand(
            "SELECT c.oid, c.relkind FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2",
            connection))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = mapping.Schema });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = mapping.TableName });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                relationId = 0;
                kind = '\0';
            }
            else
            {
                relationId = reader.GetFieldValue<uint>(0);
                kind = reader.GetChar(1);
            }
        }

        if (relationId == 0)
        {
            var (installed, carrier) = await FindCaptureAsync(connection, captureSchema, mapping, cancellationToken);
            if (installed)
            {
                SetAside.Add(new SetAsideMapping(mapping, carrier));
            }
            else
            {
                Problems.Add($"table {qualified} (mapped by {mapping.MappedBy}) does not exist");
            }

            return;
        }

        if (kind is not ('r' or 'p'))
        {
            Problems.Add($"{qualified} (mapped by {mapping.MappedBy}) is not a table; triggers capture tables only");
            return;
        }

        var columns = await ColumnType.OfColumnsAsync(connection, relationId, cancellationToken);
        var before = Problems.Count;
        foreach (var column in mapping.Columns ?? [])
        {
            if (!columns.TryGetValue(column.Name, out var type))
            {
                var hint = ColumnNameHints.Suggest(column, mapping.ColumnNaming, columns.Keys);
                Problems.Add($"table {qualified} has no column \"{column.Name}\" (mapped by {mapping.MappedBy}.{column.Property})" + (hint is null ? "" : "; " + hint));
            }
            else if (ColumnTypeRules.Problem(column, type) is { } needs)
            {
                Problems.Add($"column \"{column.Name}\" of {qualified} is {type.Display}, but {mapping.MappedBy}.{column.Property} is {ColumnTypeRules.Describe(column)}, {needs}");
            }
        }

        if (Problems.Count == before)
        {
            Present.Add(mapping);
        }
    }

    /// <summary>
    /// Whether capture was installed for <paramref name="mapping"/> (its functions exist), and the table that now carries
    /// its triggers, if any: a renamed table keeps its triggers, which still run the mapping's functions.
    /// </summary>
    private static async Task<(bool Installed, QualifiedName? Carrier)> FindCaptureAsync(
        NpgsqlConnection connection, string captureSchema, ChangeMapping mapping, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT tn.nspname::text, c.relname::text
            FROM pg_catalog.pg_proc p
            JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace
            LEFT JOIN pg_catalog.pg_trigger t ON t.tgfoid = p.oid
            LEFT JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
            LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = c.relnamespace
            WHERE pn.nspname = $1 AND p.proname = ANY($2)
            ORDER BY c.relname NULLS LAST
            LIMIT 1
            """,
            connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = captureSchema });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = CaptureDdl.FunctionNames(captureSchema, mapping).ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return (false, null);
        }

        return (true, reader.IsDBNull(0) ? null : new QualifiedName(reader.GetString(0), reader.GetString(1)));
    }
}

/// <summary>A mapping whose table is gone: dropped (<see cref="RenamedTo"/> null), or renamed to <see cref="RenamedTo"/>.</summary>
internal sealed record SetAsideMapping(ChangeMapping Mapping, QualifiedName? RenamedTo);
