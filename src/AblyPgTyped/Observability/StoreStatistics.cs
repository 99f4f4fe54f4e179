using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Capture;
using Npgsql;

namespace AblyPgTyped.Observability;

/// <summary>
/// Looks at the capture store in one short statement whose cost does not grow with the store: the oldest row through
/// the primary key, the newest id, the size from the catalog, and the changes of at most <see cref="ExactRows"/> rows.
/// A larger store's changes are estimated from its id range and the changes per row of its oldest rows.
/// </summary>
internal static class StoreStatistics
{
    /// <summary>Up to this many store rows, the counts are exact.</summary>
    public const int ExactRows = 10_000;

    public static string Sql(string captureSchema)
    {
        var changes = CaptureSql.QualifiedName(captureSchema, CaptureSql.ChangesTable);
        return
            "SELECT o.id, o.captured_at, clock_timestamp() - o.captured_at, " +
            $"(SELECT max(id) FROM {changes}), s.rows, s.changes, pg_catalog.pg_total_relation_size({CaptureSql.QuoteLiteral(changes)}::regclass) " +
            $"FROM (SELECT count(*) AS rows, coalesce(sum(n), 0)::bigint AS changes FROM (SELECT n FROM {changes} ORDER BY id LIMIT {ExactRows + 1}) t) s " +
            $"LEFT JOIN LATERAL (SELECT id, captured_at FROM {changes} ORDER BY id LIMIT 1) o ON true";
    }

    public static async Task<StoreSnapshot> ReadAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var sampledRows = reader.GetInt64(4);
        var sampledChanges = reader.GetInt64(5);
        long? bytes = reader.IsDBNull(6) ? null : reader.GetInt64(6);
        if (reader.IsDBNull(0))
        {
            return new StoreSnapshot(0, 0, true, null, null, bytes, Stopwatch.GetTimestamp());
        }

        var oldestId = reader.GetInt64(0);
        var oldest = reader.GetFieldValue<DateTimeOffset>(1);
        var age = reader.GetTimeSpan(2);
        var newestId = reader.GetInt64(3);
        if (sampledRows <= ExactRows)
        {
            return new StoreSnapshot(sampledChanges, sampledRows, true, oldest, age, bytes, Stopwatch.GetTimestamp());
        }

        // Ids are dense but for rows already forgotten out of order and rolled-back inserts: an upper bound, close in practice.
        var rows = newestId - oldestId + 1;
        var changes = (long)Math.Round(rows * (sampledChanges / (double)sampledRows));
        return new StoreSnapshot(changes, rows, false, oldest, age, bytes, Stopwatch.GetTimestamp());
    }
}
