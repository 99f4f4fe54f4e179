using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;

namespace AblyPgTyped.Capture;

/// <summary>
/// Reads the trigger-filled capture store on the leader's own connection (so that a lost leadership also stops
/// the reads), deletes what was published, and waits for the edge-triggered wake-up when there is nothing to do.
/// Each row is handed out once per instance; rows are forgotten in whatever order their channels finish.
/// </summary>
internal sealed class TriggerCaptureSource : ICaptureSource
{
    private readonly NpgsqlConnection _connection;
    private readonly string _readSql;
    private readonly string _deleteSql;
    private readonly string _deleteRangeSql;
    private readonly string _markFinishedSql;
    private readonly DeadLetterWriter _deadLetters;
    private readonly string _armSql;
    private readonly string _disarmSql;
    private readonly string _anySql;
    /// <summary>How often at most a fresh transaction id is taken to bound new gaps (it costs a commit record).</summary>
    private static readonly TimeSpan BoundInterval = TimeSpan.FromMilliseconds(20);

    private readonly UnreadRanges _unread = new();
    private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);
    private long _lastBound;
    private long _averageRowBytes;
    private bool _armed;
    private bool _listening;
    private readonly string _listenSql;

    public TriggerCaptureSource(NpgsqlConnection connection, string captureSchema)
    {
        _connection = connection;
        var changes = CaptureSql.QualifiedName(captureSchema, CaptureSql.ChangesTable);
        var wakeup = CaptureSql.QualifiedName(captureSchema, CaptureSql.WakeupTable);

        // Rows not handed out yet: above the highest id read, or in a gap a late commit may still fill (UnreadRanges).
        // The running sums bound a read by changes and bytes rather than rows: one row may hold a 1000-row statement.
        // The snapshot's xmin comes from the same statement, so it describes exactly what it could see.
        _readSql =
            "SELECT x.xmin, c.id, c.table_schema, c.table_name, c.op, c.n, c.captured_at, c.data FROM " +
            "(SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin) x " +
            "LEFT JOIN LATERAL (SELECT * FROM " +
            "(SELECT u.*, sum(u.n) OVER w AS upto, sum(octet_length(u.data::text)) OVER w AS bytes FROM " +
            $"((SELECT s.* FROM unnest($3::bigint[], $4::bigint[]) g(lo, hi) JOIN {changes} s ON s.id BETWEEN g.lo AND g.hi) " +
            $"UNION ALL (SELECT * FROM {changes} WHERE id > $5 ORDER BY id LIMIT $2) ORDER BY id LIMIT $2) u " +
            "WINDOW w AS (ORDER BY u.id ROWS UNBOUNDED PRECEDING)) b " +
            "WHERE b.upto - b.n < $1 AND b.bytes - octet_length(b.data::text) < $6) c ON true ORDER BY c.id";

        // The range lets the primary key bound the scan (the array alone made the planner scan the whole store once
        // a cycle held many single-change rows). Only the ids read are deleted: a row that committed late, inside the
        // range, stays for the next cycle. When the ids read fill their range, the range alone says the same, cheaper.
        _deleteSql = $"DELETE FROM {changes} WHERE id BETWEEN $2 AND $3 AND id = ANY($1)";
        _deleteRangeSql = $"DELETE FROM {changes} WHERE id BETWEEN $1 AND $2";

        // A finished change of a row still partly on its way becomes JSON null in place (the reader skips nulls), so
        // the other changes keep their indexes, hence their message ids. Done in the database: the row never travels.
        _markFinishedSql =
            $"UPDATE {changes} c SET data = r.data FROM " +
            "(SELECT s.id, json_agg(CASE WHEN (t.o - 1)::int = ANY(f.done) THEN NULL ELSE t.e END ORDER BY t.o) AS data " +
            "FROM (SELECT u.id, array_agg(u.idx) AS done FROM unnest($1::bigint[], $2::int[]) u(id, idx) GROUP BY u.id) f " +
            $"JOIN {changes} s ON s.id = f.id CROSS JOIN LATERAL json_array_elements(s.data) WITH ORDINALITY t(e, o) GROUP BY s.id) r " +
            "WHERE c.id = r.id";
        _deadLetters = new DeadLetterWriter(captureSchema);
        // Never wait on the flag's row lock: a writer holding it is disarming it and will notify when it commits.
        _armSql = $"UPDATE {wakeup} SET armed = true WHERE ctid IN (SELECT ctid FROM {wakeup} FOR UPDATE SKIP LOCKED)";
        _disarmSql = $"UPDATE {wakeup} SET armed = false WHERE ctid IN (SELECT ctid FROM {wakeup} WHERE armed FOR UPDATE SKIP LOCKED)";
        _anySql = $"SELECT EXISTS (SELECT 1 FROM {changes})";
        _listenSql = "LISTEN " + CaptureSql.QuoteIdentifier(CaptureSql.WakeupChannel(captureSchema));
    }

    public async Task<IReadOnlyList<CapturedRow>> ReadAsync(int maxChanges, long maxBytes, CancellationToken cancellationToken)
    {
        var rows = new List<CapturedRow>();
        long xmin = 0;
        var (low, high) = _unread.Bounds();

        // Measuring a row's size costs the database a decompression, even for the rows past the byte bound; when rows
        // are large, fetch about twice as many as the bound held last time rather than maxChanges of them.
        var rowLimit = _averageRowBytes == 0 ? maxChanges : (int)Math.Clamp((2 * maxBytes / _averageRowBytes) + 16, 1, Math.Max(1, maxChanges));
        await using (var command = new NpgsqlCommand(_readSql, _connection))
        {
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = maxChanges });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Math.Max(1, rowLimit) });
            command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = low });
            command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = high });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _unread.MaxRead ?? long.MinValue });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = Math.Max(1, maxBytes) });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                xmin = reader.GetInt64(0);
                if (reader.IsDBNull(1))
                {
                    continue; // nothing to read: the snapshot's xmin alone
                }

                rows.Add(new CapturedRow(
                    reader.GetInt64(1),
                    Shared(reader.GetString(2)),
                    Shared(reader.GetString(3)),
                    reader.GetChar(4),
                    reader.GetInt32(5),
                    reader.GetFieldValue<DateTimeOffset>(6),
                    reader.GetFieldValue<byte[]>(7))); // the json text as UTF-8, never a string
            }
        }

        if (rows.Count > 0)
        {
            long bytes = 0;
            foreach (var row in rows)
            {
                bytes += row.Data.Length;
            }

            _averageRowBytes = bytes / rows.Count;
        }

        _unread.Observe(rows.ConvertAll(r => r.Id), xmin);
        if (_unread.NeedsBound && Stopwatch.GetElapsedTime(_lastBound) >= BoundInterval)
        {
            // Not the snapshot's xmax: a running filler's id may be above it. A fresh id is above every filler's.
            await using var fresh = new NpgsqlCommand("SELECT pg_current_xact_id()::text::bigint", _connection);
            _unread.Bound((long)(await fresh.ExecuteScalarAsync(cancellationToken))!);
            _lastBound = Stopwatch.GetTimestamp();
        }

        if (rows.Count > 0 && _armed)
        {
            // Busy again: writers must stop paying for NOTIFY.
            await ExecuteAsync(_disarmSql, cancellationToken);
            _armed = false;
        }

        return rows;
    }

    public async Task CompleteAsync(IReadOnlyList<long> rowIds, IReadOnlyList<(long RowId, List<int> Indexes)> finished, IReadOnlyList<DeadLetter> deadLetters, CancellationToken cancellationToken)
    {
        await using var transaction = await _connection.BeginTransactionAsync(cancellationToken);

        await _deadLetters.InsertAsync(_connection, transaction, deadLetters, cancellationToken);

        if (finished.Count > 0)
        {
            var ids = new List<long>();
            var indexes = new List<int>();
            foreach (var (rowId, done) in finished)
            {
                foreach (var index in done)
                {
                    ids.Add(rowId);
                    indexes.Add(index);
                }
            }

            await using var mark = new NpgsqlCommand(_markFinishedSql, _connection, transaction);
            mark.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = ids.ToArray() });
            mark.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = indexes.ToArray() });
            await mark.ExecuteNonQueryAsync(cancellationToken);
        }

        if (rowIds.Count > 0)
        {
            // Ids are distinct: they fill their range exactly when there are max - min + 1 of them.
            long min = long.MaxValue, max = long.MinValue;
            foreach (var id in rowIds)
            {
                min = Math.Min(min, id);
                max = Math.Max(max, id);
            }

            var contiguous = max - min + 1 == rowIds.Count;
            await using var delete = new NpgsqlCommand(contiguous ? _deleteRangeSql : _deleteSql, _connection, transaction);
            if (!contiguous)
            {
                delete.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = rowIds.ToArray() });
            }

            delete.Parameters.Add(new NpgsqlParameter<long> { TypedValue = min });
            delete.Parameters.Add(new NpgsqlParameter<long> { TypedValue = max });
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public (long Low, long High)[] Unread => _unread.Open;

    public async Task KeepAliveAsync(CancellationToken cancellationToken) => await ExecuteAsync("SELECT 1", cancellationToken);

    public async Task WaitForChangesAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!_listening)
        {
            await ExecuteAsync(_listenSql, cancellationToken);
            _listening = true;
        }

        if (!_armed)
        {
            await using (var arm = new NpgsqlCommand(_armSql, _connection))
            {
                // 0 rows: a writer holds the flag (it notifies at its commit, which may be late); poll meanwhile.
                _armed = await arm.ExecuteNonQueryAsync(cancellationToken) == 1;
            }

            // A change that committed before the flag was set notified nobody: look once more.
            await using var any = new NpgsqlCommand(_anySql, _connection);
            if ((bool)(await any.ExecuteScalarAsync(cancellationToken))!)
            {
                return;
            }
        }

        // A writer that disarmed the flag notifies; the timeout covers one whose transaction rolled back or is still open.
        await _connection.WaitAsync(timeout, cancellationToken);
    }

    /// <summary>
    /// One instance of each schema and table name: a row is held until its changes are accepted, and with single-change
    /// rows its own copies of the names would be a good part of what it holds. The names read die young.
    /// </summary>
    private string Shared(string name)
    {
        if (_names.TryGetValue(name, out var shared))
        {
            return shared;
        }

        if (_names.Count < 10_000)
        {
            _names[name] = name;
        }

        return name;
    }

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, _connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
