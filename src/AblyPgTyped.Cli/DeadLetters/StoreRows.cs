using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Capture;
using Npgsql;
using NpgsqlTypes;

namespace AblyPgTyped.Cli.DeadLetters;

/// <summary>Writes replayed changes into the capture store's <c>changes</c> table, as the capture triggers lay rows out.</summary>
internal sealed class StoreRows(NpgsqlConnection connection, string captureSchema)
{
    private readonly string _changes = CaptureSql.QualifiedName(captureSchema, CaptureSql.ChangesTable);

    /// <summary>Puts letters back at their indexes of store rows that still wait, where those changes are JSON null (finished).</summary>
    public async Task RestoreIntoAsync(List<DeadLetter> letters, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        // Only the elements at the letters' indexes change; the others keep their place and their value.
        await using var command = new NpgsqlCommand(
            $"UPDATE {_changes} c SET data = r.data FROM (" +
            "SELECT s.id, json_agg(coalesce(u.data, t.e) ORDER BY t.o) AS data " +
            $"FROM {_changes} s CROSS JOIN LATERAL json_array_elements(s.data) WITH ORDINALITY t(e, o) " +
            "LEFT JOIN unnest($1::bigint[], $2::int[], $3::json[]) u(id, idx, data) ON u.id = s.id AND u.idx = t.o - 1 " +
            "WHERE s.id = ANY($1) GROUP BY s.id) r WHERE c.id = r.id",
            connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = letters.Select(l => l.ChangeId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = letters.Select(l => l.ChangeIndex).ToArray() });
        command.Parameters.Add(Json(letters.Select(l => l.Data!)));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Inserts <paramref name="rows"/> in the order given, so that new identities rise in it; with
    /// <paramref name="keepIds"/>, under the ids they hold instead. Returns the ids.
    /// </summary>
    public async Task<List<long>> InsertAsync(IReadOnlyList<NewRow> rows, bool keepIds, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        // A count of -1 is the length of a whole row dead-lettered as unreadable, which PostgreSQL measures if it can.
        await using var command = new NpgsqlCommand(
            $"INSERT INTO {_changes} ({(keepIds ? "id, " : "")}table_schema, table_name, op, n, data)" + (keepIds ? " OVERRIDING SYSTEM VALUE" : "") +
            $" SELECT {(keepIds ? "u.id, " : "")}u.s, u.t, u.op, " +
            "CASE WHEN u.n >= 0 THEN u.n WHEN json_typeof(u.data) = 'array' THEN json_array_length(u.data) ELSE 1 END, u.data " +
            "FROM unnest($1::bigint[], $2::text[], $3::text[], $4::\"char\"[], $5::int[], $6::json[]) WITH ORDINALITY u(id, s, t, op, n, data, o) " +
            "ORDER BY u.o RETURNING id",
            connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = rows.Select(r => r.Id).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rows.Select(r => r.Schema).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rows.Select(r => r.Table).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<char[]> { TypedValue = rows.Select(r => r.Op).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.InternalChar });
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = rows.Select(r => r.Count).ToArray() });
        command.Parameters.Add(Json(rows.Select(r => r.Data)));
        var inserted = new List<long>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            inserted.Add(reader.GetInt64(0));
        }

        return inserted;
    }

    /// <summary>
    /// For each store row of <paramref name="ids"/> that still exists: the indexes of its finished changes (null when its
    /// data is not an array, so nothing fits in it).
    /// </summary>
    public async Task<Dictionary<long, HashSet<int>?>> FreeIndexesAsync(long[] ids, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT c.id, CASE WHEN json_typeof(c.data) = 'array' THEN ARRAY(SELECT (t.o - 1)::int " +
            "FROM json_array_elements(c.data) WITH ORDINALITY t(e, o) WHERE json_typeof(t.e) = 'null') END " +
            $"FROM {_changes} c WHERE c.id = ANY($1) FOR UPDATE",
            connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = ids });
        var free = new Dictionary<long, HashSet<int>?>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            free[reader.GetInt64(0)] = reader.IsDBNull(1) ? null : [.. reader.GetFieldValue<int[]>(1)];
        }

        return free;
    }

    /// <summary>
    /// The store row <paramref name="letters"/> (all of one original row) came from, under its id: each change at its
    /// index, JSON null (a finished change) elsewhere. A whole row dead-lettered as unreadable is that row as it was.
    /// </summary>
    public static NewRow AtPositions(IReadOnlyList<DeadLetter> letters)
    {
        var first = letters[0];
        if (first.Kind == DeadLetterKinds.UnreadableRow)
        {
            return new NewRow(first.ChangeId, first.Schema, first.Table, first.Op, -1, first.Data!);
        }

        var byIndex = letters.ToDictionary(l => l.ChangeIndex, l => l.Data!);
        var last = letters.Max(l => l.ChangeIndex);
        var data = new StringBuilder("[");
        for (var index = 0; index <= last; index++)
        {
            data.Append(index == 0 ? "" : ", ").Append(byIndex.GetValueOrDefault(index, "null"));
        }

        return new NewRow(first.ChangeId, first.Schema, first.Table, first.Op, last + 1, data.Append(']').ToString());
    }

    /// <summary>A new store row holding <paramref name="letter"/>'s change alone (or its whole row, when unreadable).</summary>
    public static NewRow Alone(DeadLetter letter) => letter.Kind == DeadLetterKinds.UnreadableRow
        ? new NewRow(0, letter.Schema, letter.Table, letter.Op, -1, letter.Data!)
        : new NewRow(0, letter.Schema, letter.Table, letter.Op, 1, "[" + letter.Data + "]");

    private static NpgsqlParameter<string[]> Json(IEnumerable<string> values) =>
        new() { TypedValue = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Json };
}

/// <summary>A store row to insert: as the capture triggers write them, an array of changes of one table and operation.</summary>
internal sealed record NewRow(long Id, string Schema, string Table, char Op, int Count, string Data);
