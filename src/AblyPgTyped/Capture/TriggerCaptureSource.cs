using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;
using NpgsqlTypes;

namespace AblyPgTyped.Capture;

/// <summary>
/// Reads the trigger-filled capture store on the leader's own connection (so that a lost leadership also stops
/// the reads), deletes what was published, and waits for the edge-triggered wake-up when there is nothing to do.
/// </summary>
internal sealed class TriggerCaptureSource : ICaptureSource
{
    private readonly NpgsqlConnection _connection;
    private readonly string _readSql;
    private readonly string _deleteSql;
    private readonly string _deleteRangeSql;
    private readonly string _deadLetterSql;
    private readonly string _armSql;
    private readonly string _disarmSql;
    private readonly string _anySql;
    private bool _armed;
    private bool _listening;
    private readonly string _listenSql;

    public TriggerCaptureSource(NpgsqlConnection connection, string captureSchema)
    {
        _connection = connection;
        var changes = CaptureSql.QualifiedName(captureSchema, CaptureSql.ChangesTable);
        var wakeup = CaptureSql.QualifiedName(captureSchema, CaptureSql.WakeupTable);

        // The running sum bounds a read by changes rather than rows: one row may hold a 1000-row statement.
        _readSql =
            $"SELECT id, table_schema, table_name, op, n, captured_at, data FROM " +
            $"(SELECT id, table_schema, table_name, op, n, captured_at, data, sum(n) OVER (ORDER BY id ROWS UNBOUNDED PRECEDING) AS upto " +
            $"FROM {changes} ORDER BY id LIMIT $2) c WHERE upto - n < $1 ORDER BY id";

        // The range lets the primary key bound the scan (the array alone made the planner scan the whole store once
        // a cycle held many single-change rows). Only the ids read are deleted: a row that committed late, inside the
        // range, stays for the next cycle. When the ids read fill their range, the range alone says the same, cheaper.
        _deleteSql = $"DELETE FROM {changes} WHERE id BETWEEN $2 AND $3 AND id = ANY($1)";
        _deleteRangeSql = $"DELETE FROM {changes} WHERE id BETWEEN $1 AND $2";
        _deadLetterSql =
            $"INSERT INTO {CaptureSql.QualifiedName(captureSchema, CaptureSql.DeadLettersTable)} " +
            "(change_id, change_index, table_schema, table_name, op, channel, reason, data) " +
            "SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::\"char\"[], $6::text[], $7::text[], $8::json[])";
        _armSql = $"UPDATE {wakeup} SET armed = true";
        _disarmSql = $"UPDATE {wakeup} SET armed = false WHERE armed";
        _anySql = $"SELECT EXISTS (SELECT 1 FROM {changes})";
        _listenSql = "LISTEN " + CaptureSql.QuoteIdentifier(CaptureSql.WakeupChannel(captureSchema));
    }

    public async Task<IReadOnlyList<CapturedRow>> ReadAsync(int maxChanges, CancellationToken cancellationToken)
    {
        var rows = new List<CapturedRow>();
        await using (var command = new NpgsqlCommand(_readSql, _connection))
        {
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = maxChanges });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Math.Max(1, maxChanges) });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(new CapturedRow(
                    reader.GetInt64(0),
                    reader.GetString(1),
                    reader.GetString(2),
                    reader.GetChar(3),
                    reader.GetInt32(4),
                    reader.GetFieldValue<DateTimeOffset>(5),
                    reader.GetFieldValue<byte[]>(6))); // the json text as UTF-8, never a string
            }
        }

        if (rows.Count > 0 && _armed)
        {
            // Busy again: writers must stop paying for NOTIFY.
            await ExecuteAsync(_disarmSql, cancellationToken);
            _armed = false;
        }

        return rows;
    }

    public async Task CompleteAsync(IReadOnlyList<CapturedRow> rows, IReadOnlyList<DeadLetter> deadLetters, CancellationToken cancellationToken)
    {
        await using var transaction = await _connection.BeginTransactionAsync(cancellationToken);
        if (deadLetters.Count > 0)
        {
            await using var insert = new NpgsqlCommand(_deadLetterSql, _connection, transaction);
            insert.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = deadLetters.Select(d => d.Position.CaptureId).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = deadLetters.Select(d => d.Position.Index).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = deadLetters.Select(d => d.Schema).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = deadLetters.Select(d => d.Table).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter<char[]> { TypedValue = deadLetters.Select(d => d.Op).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.InternalChar });
            insert.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = deadLetters.Select(d => d.Channel).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = deadLetters.Select(d => d.Reason).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = deadLetters.Select(d => d.Data).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Json });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        if (rows.Count > 0)
        {
            // The ids of one read are distinct: they fill their range exactly when there are max - min + 1 of them.
            long min = long.MaxValue, max = long.MinValue;
            foreach (var row in rows)
            {
                min = Math.Min(min, row.Id);
                max = Math.Max(max, row.Id);
            }

            var contiguous = max - min + 1 == rows.Count;
            await using var delete = new NpgsqlCommand(contiguous ? _deleteRangeSql : _deleteSql, _connection, transaction);
            if (!contiguous)
            {
                var ids = new long[rows.Count];
                for (var i = 0; i < ids.Length; i++)
                {
                    ids[i] = rows[i].Id;
                }

                delete.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = ids });
            }

            delete.Parameters.Add(new NpgsqlParameter<long> { TypedValue = min });
            delete.Parameters.Add(new NpgsqlParameter<long> { TypedValue = max });
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task WaitForChangesAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!_listening)
        {
            await ExecuteAsync(_listenSql, cancellationToken);
            _listening = true;
        }

        if (!_armed)
        {
            await ExecuteAsync(_armSql, cancellationToken);
            _armed = true;

            // A change that committed before the flag was set notified nobody: look once more.
            await using var any = new NpgsqlCommand(_anySql, _connection);
            if ((bool)(await any.ExecuteScalarAsync(cancellationToken))!)
            {
                return;
            }
        }

        // A writer that disarmed the flag notifies; the timeout covers one whose transaction rolled back.
        await _connection.WaitAsync(timeout, cancellationToken);
    }

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, _connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
