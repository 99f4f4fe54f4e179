using System;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Capture;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AblyPgTyped;

/// <summary>
/// Warns at start about a capture store that nobody has drained for a while: every write to a mapped table keeps adding
/// to it, so an abandoned capture schema grows (and costs every write) silently otherwise. Its age is that of its oldest
/// row, found through the primary key, so the check is cheap on any size of store; only a stale store is counted.
/// </summary>
internal static class StaleStoreCheck
{
    public static async Task WarnIfStaleAsync(NpgsqlConnection connection, string captureSchema, TimeSpan threshold, ILogger logger, CancellationToken cancellationToken)
    {
        var changes = CaptureSql.QualifiedName(captureSchema, CaptureSql.ChangesTable);
        TimeSpan age;
        DateTimeOffset oldest;
        await using (var command = new NpgsqlCommand($"SELECT captured_at, clock_timestamp() - captured_at FROM {changes} ORDER BY id LIMIT 1", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return;
            }

            oldest = reader.GetFieldValue<DateTimeOffset>(0);
            age = reader.GetTimeSpan(1);
        }

        if (age < threshold)
        {
            return;
        }

        await using var count = new NpgsqlCommand($"SELECT count(*) FROM {changes}", connection);
        var rows = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
        ConnectorLog.StaleStore(logger, changes, Round(age), rows, oldest, captureSchema);
    }

    private static TimeSpan Round(TimeSpan age) => TimeSpan.FromSeconds(Math.Round(age.TotalSeconds));
}
