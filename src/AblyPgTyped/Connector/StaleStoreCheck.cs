using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Capture;
using AblyPgTyped.Observability;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AblyPgTyped;

/// <summary>
/// Warns about a capture store that grows unattended: every write to a mapped table keeps adding to it, so an abandoned
/// capture schema grows (and costs every write) silently otherwise. A store is stale when its oldest change is older than
/// <see cref="ConnectorOptions.StaleStoreWarningAfter"/> (event 1112), and too large past
/// <see cref="ConnectorOptions.StoreSizeWarningAbove"/> (event 1115). Checked at start, then on each of the connector's
/// looks at its store; each warning is repeated at most once an hour while its cause lasts. Its age is that of its oldest
/// row, found through the primary key, so the check is cheap on any size of store; only a stale store is counted.
/// </summary>
internal sealed class StaleStoreCheck(ConnectorOptions options, ILogger logger)
{
    /// <summary>How often a warning is repeated while its cause lasts.</summary>
    public static readonly TimeSpan RepeatInterval = TimeSpan.FromHours(1);

    private readonly object _sync = new();
    private long _ageWarnedAt;
    private long _sizeWarnedAt;

    /// <summary>At start: looks at the store's oldest change and warns if it is stale.</summary>
    public async Task WarnIfStaleAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var changes = CaptureSql.QualifiedName(options.CaptureSchema, CaptureSql.ChangesTable);
        DateTimeOffset oldest;
        TimeSpan age;
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

        if (age >= options.StaleStoreWarningAfter && Due(ref _ageWarnedAt))
        {
            await using var count = new NpgsqlCommand($"SELECT count(*) FROM {changes}", connection);
            var rows = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
            LogMessages.StaleStore(logger, changes, Round(age), rows, oldest, options.CaptureSchema);
        }
    }

    /// <summary>
    /// On each look at the store: warns if it is stale or too large, unless it did so within the hour. The rows are the
    /// look's (estimated for a large store), so a store of any size costs no count.
    /// </summary>
    public void Check(StoreSnapshot store)
    {
        var changes = CaptureSql.QualifiedName(options.CaptureSchema, CaptureSql.ChangesTable);
        if (store is { Oldest: { } oldest, OldestAge: { } age } && age >= options.StaleStoreWarningAfter && Due(ref _ageWarnedAt))
        {
            LogMessages.StaleStore(logger, changes, Round(age), store.Rows, oldest, options.CaptureSchema);
        }

        if (options.StoreSizeWarningAbove is { } limit && store.Bytes is { } bytes && bytes > limit && Due(ref _sizeWarnedAt))
        {
            LogMessages.StoreTooLarge(logger, changes, new HumanBytes(bytes), new HumanBytes(limit), store.Changes, Round(store.OldestAge ?? TimeSpan.Zero), options.CaptureSchema);
        }
    }

    /// <summary>Whether a warning last given at <paramref name="warnedAt"/> is due again; if so, it counts as given now.</summary>
    private bool Due(ref long warnedAt)
    {
        lock (_sync)
        {
            if (warnedAt != 0 && Stopwatch.GetElapsedTime(warnedAt) < RepeatInterval)
            {
                return false;
            }

            warnedAt = Stopwatch.GetTimestamp();
            return true;
        }
    }

    private static TimeSpan Round(TimeSpan age) => TimeSpan.FromSeconds(Math.Round(age.TotalSeconds));
}
