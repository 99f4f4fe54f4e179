using Microsoft.Extensions.Logging;

namespace AblyPgTyped;

/// <summary>Logical-replication capture's log messages: event ids 1150–1169, in the capture band.</summary>
internal static partial class ConnectorLog
{
    [LoggerMessage(1150, LogLevel.Information, "Created replication slot {Slot}: changes are captured from this moment on")]
    public static partial void SlotCreated(ILogger logger, string slot);

    [LoggerMessage(1151, LogLevel.Error, "Replication slot {Slot} was dropped outside the connector: the changes made while it was missing were not captured. It is created again")]
    public static partial void SlotLost(ILogger logger, string slot);

    [LoggerMessage(1152, LogLevel.Information, "Streaming changes from replication slot {Slot}, confirmed up to {Position}")]
    public static partial void ReplicationStarted(ILogger logger, string slot, string position);

    [LoggerMessage(1153, LogLevel.Warning, "Changes to {Table} do not fit its mapping and are dead-lettered until this is fixed: {Problem}")]
    public static partial void RelationMismatch(ILogger logger, string table, string problem);

    [LoggerMessage(1154, LogLevel.Warning, "Table {Table} changed: {Change}")]
    public static partial void RelationChanged(ILogger logger, string table, string change);

    [LoggerMessage(1155, LogLevel.Information, "Replication slot {Slot} is still held by process {ProcessId}, a previous active connector's; ending that process")]
    public static partial void SlotTakenOver(ILogger logger, string slot, int processId);

    [LoggerMessage(1156, LogLevel.Debug, "Wrote a heartbeat to the write-ahead log so that the idle replication slot {Slot} can advance ({LagBytes} bytes behind)")]
    public static partial void Heartbeat(ILogger logger, string slot, long lagBytes);
}
