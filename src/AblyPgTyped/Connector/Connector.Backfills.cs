using System;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Backfilling;

namespace AblyPgTyped;

public sealed partial class Connector
{
    /// <summary>
    /// Stops backfill <paramref name="id"/>: no chunk is recorded after this returns, wherever the backfill runs. The
    /// chunks recorded before are published as usual, so a subscriber may still receive snapshots of it for a moment.
    /// Returns its status: <c>cancelled</c>, or its final state when it had already finished or failed.
    /// </summary>
    /// <exception cref="InvalidOperationException">There is no backfill <paramref name="id"/>.</exception>
    public async Task<BackfillStatus> CancelBackfillAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var session = await OpenAsync(cancellationToken);
        var status = await BackfillStore.CancelAsync(session.Connection, _options.CaptureSchema, id, cancellationToken)
                     ?? throw new InvalidOperationException($"There is no backfill {id}.");
        if (status.State == "cancelled")
        {
            LogMessages.Cancelled(_logger, id, status.Schema + "." + status.Table, status.RowsDone);
        }

        return status;
    }
}
