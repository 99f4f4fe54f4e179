using System;
using Microsoft.Extensions.Logging;

namespace AblyPgTyped.Backfilling;

/// <summary>The backfill's log messages (events 1120–1129).</summary>
internal static partial class BackfillLog
{
    [LoggerMessage(1120, LogLevel.Information, "Backfill {Id} of {Table} requested: about {Estimate} row(s)")]
    public static partial void Requested(ILogger logger, long id, string table, long estimate);

    [LoggerMessage(1121, LogLevel.Information, "Backfill {Id} of {Table} running: {Done} row(s) recorded before, of about {Estimate}")]
    public static partial void Running(ILogger logger, long id, string table, long done, long estimate);

    [LoggerMessage(1122, LogLevel.Information, "Backfill {Id} of {Table}: {Done} of about {Estimate} row(s) recorded, {Rate} rows/s")]
    public static partial void Progress(ILogger logger, long id, string table, long done, long estimate, long rate);

    [LoggerMessage(1123, LogLevel.Information, "Backfill {Id} of {Table} finished: {Done} row(s) recorded as snapshots")]
    public static partial void Finished(ILogger logger, long id, string table, long done);

    [LoggerMessage(1124, LogLevel.Error, "Backfill {Id} of {Table} failed: {Reason}")]
    public static partial void Failed(ILogger logger, long id, string table, string reason);

    [LoggerMessage(1125, LogLevel.Warning, "Backfills cannot run now; retrying in {Delay}. The drain goes on")]
    public static partial void Failing(ILogger logger, TimeSpan delay, Exception exception);

    [LoggerMessage(1127, LogLevel.Information, "Backfill {Id} of {Table} cancelled after {Done} row(s); those recorded are still published")]
    public static partial void Cancelled(ILogger logger, long id, string table, long done);

    [LoggerMessage(1126, LogLevel.Information, "This connector's role may not run backfills ({Reason}); it publishes changes as usual. Run backfills with a connector whose role may read the tables FOR SHARE and write the store")]
    public static partial void NotPermitted(ILogger logger, string reason);
}
