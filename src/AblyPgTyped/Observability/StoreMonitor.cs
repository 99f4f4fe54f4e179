using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AblyPgTyped.Observability;

/// <summary>
/// A started connector's periodic look at its capture store, on a connection of its own, off the publishing path: the
/// backlog, the oldest change and the size, for the health, the gauges, the growth warnings and the progress lines.
/// It is also how a standby notices that the database went away.
/// </summary>
internal sealed class StoreMonitor(NpgsqlDataSource sessions, ConnectorOptions options, ConnectorStatus status, StaleStoreCheck growth, ILogger logger)
{
    /// <summary>The longest one look may take, connecting included, before it counts as failed.</summary>
    private static readonly TimeSpan LookTimeout = TimeSpan.FromSeconds(10);

    private readonly string _sql = StoreStatistics.Sql(options.CaptureSchema);
    private readonly BacklogProgress _progress = new(options.ProgressLogInterval, logger);

    /// <summary>Looks until <paramref name="stopping"/> is cancelled; never throws otherwise.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        // The looks belong to no caller's activity: without this, a traced database client would file every one of them
        // under whatever activity called StartAsync, for as long as the connector runs.
        System.Diagnostics.Activity.Current = null;
        var interval = options.Health.StoreCheckInterval < options.ProgressLogInterval ? options.Health.StoreCheckInterval : options.ProgressLogInterval;
        NpgsqlConnection? connection = null;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                timeout.CancelAfter(LookTimeout);
                try
                {
                    connection ??= await sessions.OpenConnectionAsync(timeout.Token);
                    var store = await StoreStatistics.ReadAsync(connection, _sql, timeout.Token);
                    status.StoreChecked(store);
                    growth.Check(store);
                    _progress.Observe(store, status.Published, status.Role == ConnectorRole.Active, status.StoreName);
                }
                catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
                {
                    // Not installed yet (a standby that started first): there is no store to look at.
                }
                catch (Exception e) when (!stopping.IsCancellationRequested)
                {
                    status.StoreCheckFailed(e is OperationCanceledException ? $"no answer within {new HumanDuration(LookTimeout)}" : e.Message);
                    if (connection is not null)
                    {
                        await connection.DisposeAsync();
                        connection = null;
                    }
                }

                await Task.Delay(interval, stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
    }
}
