using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;
using NpgsqlTypes;

namespace AblyPgTyped.Capture;

/// <summary>
/// Records dead letters in the capture schema's <c>dead_letters</c> table, for both capture sources. Bounded statements:
/// one statement for a backlog of large rows would pass PostgreSQL's 1 GB limit.
/// </summary>
internal sealed class DeadLetterWriter(string captureSchema)
{
    /// <summary>Most dead letters one INSERT records.</summary>
    private const int MaxPerStatement = 500;

    /// <summary>Most captured JSON characters one INSERT carries (a single larger one goes alone).</summary>
    private const long MaxBytesPerStatement = 16 * 1024 * 1024;

    private readonly string _sql =
        $"INSERT INTO {CaptureSql.QualifiedName(captureSchema, CaptureSql.DeadLettersTable)} " +
        "(change_id, change_index, table_schema, table_name, op, channel, reason, data) " +
        "SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::\"char\"[], $6::text[], $7::text[], $8::json[])";

    /// <summary>Records them in a transaction of their own.</summary>
    public async Task WriteAsync(NpgsqlConnection connection, IReadOnlyList<DeadLetter> deadLetters, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await InsertAsync(connection, transaction, deadLetters, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Records them inside <paramref name="transaction"/>, which the caller commits.</summary>
    public async Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<DeadLetter> deadLetters, CancellationToken cancellationToken)
    {
        for (var start = 0; start < deadLetters.Count;)
        {
            var end = start;
            long bytes = 0;
            while (end < deadLetters.Count && end - start < MaxPerStatement && (end == start || bytes + (deadLetters[end].Data?.Length ?? 0) <= MaxBytesPerStatement))
            {
                bytes += deadLetters[end].Data?.Length ?? 0;
                end++;
            }

            var batch = deadLetters.Skip(start).Take(end - start).ToArray();
            start = end;
            await using var insert = new NpgsqlCommand(_sql, connection, transaction);
            insert.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = batch.Select(d => d.Position.CaptureId).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = batch.Select(d => d.Position.Index).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = batch.Select(d => d.Schema).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = batch.Select(d => d.Table).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter<char[]> { TypedValue = batch.Select(d => d.Op).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.InternalChar });
            insert.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = batch.Select(d => d.Channel).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = batch.Select(d => d.Reason).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = batch.Select(d => d.Data).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Json });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
