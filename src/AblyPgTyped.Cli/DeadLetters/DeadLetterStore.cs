using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Capture;
using Npgsql;

namespace AblyPgTyped.Cli.DeadLetters;

/// <summary>Reads and deletes dead letters, in position order (the order their changes were captured in).</summary>
internal sealed class DeadLetterStore(NpgsqlConnection connection, string captureSchema)
{
    /// <summary>The columns <see cref="ReadAllAsync"/> reads, the table aliased <c>d</c>: {0} is the kind, {1} the data.</summary>
    private const string Columns =
        "d.id, d.change_id, d.change_index, d.table_schema, d.table_name, d.op::text, d.channel, d.reason, {0}, d.failed_at, {1}, " +
        "coalesce(octet_length(d.data::text), 0)";

    public string TableName { get; } = CaptureSql.QualifiedName(captureSchema, CaptureSql.DeadLettersTable);

    /// <summary>How many letters <paramref name="selection"/> picks.</summary>
    public async Task<long> CountAsync(DeadLetterSelection selection, CancellationToken cancellationToken = default)
    {
        await using var command = new NpgsqlCommand { Connection = connection };
        command.CommandText = $"SELECT count(*) FROM {TableName} d WHERE {selection.Condition(command)}";
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// The first <paramref name="limit"/> letters <paramref name="selection"/> picks, in position order, with their data
    /// shortened to <paramref name="dataCharacters"/> (null: whole).
    /// </summary>
    public async Task<IReadOnlyList<DeadLetter>> ListAsync(DeadLetterSelection selection, int limit, int? dataCharacters, CancellationToken cancellationToken = default)
    {
        await using var command = new NpgsqlCommand { Connection = connection };
        var condition = selection.Condition(command);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var limitParameter = command.Parameters.Count;
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)dataCharacters ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        var data = $"CASE WHEN ${command.Parameters.Count}::int IS NULL THEN d.data::text ELSE left(d.data::text, ${command.Parameters.Count}) END";
        command.CommandText = $"SELECT {SelectList(command, data)} FROM {TableName} d WHERE {condition} " +
                              $"ORDER BY d.change_id, d.change_index, d.id LIMIT ${limitParameter}";
        return await ReadAllAsync(command, cancellationToken);
    }

    /// <summary>Deletes the letters <paramref name="selection"/> picks; returns their ids.</summary>
    public async Task<IReadOnlyList<long>> PurgeAsync(DeadLetterSelection selection, CancellationToken cancellationToken = default)
    {
        await using var command = new NpgsqlCommand { Connection = connection };
        command.CommandText = $"DELETE FROM {TableName} d WHERE {selection.Condition(command)} RETURNING d.id";
        var ids = new List<long>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetInt64(0));
        }

        ids.Sort();
        return ids;
    }

    /// <summary>The select list of a query that <see cref="ReadAllAsync"/> reads, for <paramref name="command"/>.</summary>
    public static string SelectList(NpgsqlCommand command, string data) =>
        string.Format(System.Globalization.CultureInfo.InvariantCulture, Columns, DeadLetterKinds.SqlCase("d.reason", command), data);

    public static async Task<List<DeadLetter>> ReadAllAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var letters = new List<DeadLetter>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            letters.Add(new DeadLetter(
                reader.GetInt64(0), reader.GetInt64(1), reader.GetInt32(2), reader.GetString(3), reader.GetString(4), reader.GetString(5)[0],
                reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetString(7), reader.GetString(8), reader.GetFieldValue<DateTimeOffset>(9),
                reader.IsDBNull(10) ? null : reader.GetString(10), reader.GetInt64(11)));
        }

        return letters;
    }
}
