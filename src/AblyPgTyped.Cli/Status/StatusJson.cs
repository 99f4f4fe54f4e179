using System.Collections.Generic;
using System.Text.Json;

namespace AblyPgTyped.Cli.Status;

/// <summary>
/// <c>ablypg status --json</c>: the shape documented in docs/operations.md, stable within its <c>format</c> number (fields
/// may be added; none is renamed or removed without a new number). Times are UTC ISO 8601, durations seconds, sizes bytes.
/// </summary>
internal static class StatusJson
{
    /// <summary>The version of the shape.</summary>
    public const int Format = 1;

    public static string Write(StoreStatus status)
    {
        return CliJson.Write(json =>
        {
            json.WriteStartObject();
            json.WriteNumber("format", Format);
            json.WriteTime("checkedAt", status.CheckedAt);
            json.WriteString("database", status.Database);
            json.WriteString("captureSchema", status.CaptureSchema);
            json.WriteBoolean("installed", status.Installed);
            json.WriteStringOrNull("installId", status.InstallId);
            json.WriteString("capture", status.Slot is null ? "triggers" : "logical-replication");
            WriteConnector(json, status.Connector);
            WriteSlot(json, status.Slot);
            WriteBacklog(json, status.Backlog);
            WriteDeadLetters(json, status.DeadLetters);
            WriteBackfills(json, status.Backfills);
            WriteSize(json, status.Size);
            WriteCapturedTables(json, status.CapturedTables);
            json.WriteStartArray("unreadable");
            foreach (var problem in status.Unreadable)
            {
                json.WriteStringValue(problem);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    private static void WriteConnector(Utf8JsonWriter json, LeaderStatus leader)
    {
        json.WriteStartObject("connector");
        json.WriteBoolean("active", leader.Active);
        json.WriteNumberOrNull("pid", leader.Pid);
        json.WriteStringOrNull("user", leader.User);
        json.WriteStringOrNull("clientAddress", leader.ClientAddress);
        json.WriteStringOrNull("clientHostname", leader.ClientHostname);
        json.WriteStringOrNull("applicationName", leader.ApplicationName);
        json.WriteTimeOrNull("since", leader.Since);
        json.WriteStringOrNull("state", leader.State);
        json.WriteNumberOrNull("silentSeconds", leader.SilentSeconds);
        json.WriteEndObject();
    }

    private static void WriteSlot(Utf8JsonWriter json, ReplicationSlotStatus? slot)
    {
        if (slot is null)
        {
            json.WriteNull("replicationSlot");
            return;
        }

        json.WriteStartObject("replicationSlot");
        json.WriteString("name", slot.Name);
        json.WriteBoolean("active", slot.Active);
        json.WriteNumberOrNull("activePid", slot.ActivePid);
        json.WriteStringOrNull("walStatus", slot.WalStatus);
        json.WriteNumberOrNull("unconfirmedBytes", slot.UnconfirmedBytes);
        json.WriteNumberOrNull("safeWalSizeBytes", slot.SafeWalSizeBytes);
        json.WriteEndObject();
    }

    private static void WriteBacklog(Utf8JsonWriter json, Backlog? backlog)
    {
        if (backlog is null)
        {
            json.WriteNull("backlog");
            return;
        }

        json.WriteStartObject("backlog");
        json.WriteNumber("changes", backlog.Changes);
        json.WriteNumber("storeRows", backlog.StoreRows);
        json.WriteNumber("lagSeconds", backlog.LagSeconds);
        if (backlog.Oldest is { } oldest)
        {
            json.WriteStartObject("oldestChange");
            json.WriteString("position", oldest.Position);
            json.WriteString("schema", oldest.Schema);
            json.WriteString("table", oldest.Table);
            json.WriteString("operation", oldest.Operation);
            json.WriteTime("capturedAt", oldest.CapturedAt);
            json.WriteNumber("ageSeconds", oldest.AgeSeconds);
            json.WriteEndObject();
        }
        else
        {
            json.WriteNull("oldestChange");
        }

        json.WriteStartArray("tables");
        foreach (var table in backlog.Tables)
        {
            json.WriteStartObject();
            json.WriteString("schema", table.Schema);
            json.WriteString("table", table.Table);
            json.WriteNumber("changes", table.Changes);
            json.WriteNumber("storeRows", table.StoreRows);
            json.WriteTime("oldestCapturedAt", table.OldestCapturedAt);
            json.WriteNumber("oldestAgeSeconds", table.OldestAgeSeconds);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("channels");
        foreach (var channel in backlog.Channels)
        {
            json.WriteStartObject();
            json.WriteStringOrNull("channel", channel.Channel);
            json.WriteNumber("changes", channel.Changes);
            json.WriteTime("oldestCapturedAt", channel.OldestCapturedAt);
            json.WriteNumber("oldestAgeSeconds", channel.OldestAgeSeconds);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteDeadLetters(Utf8JsonWriter json, DeadLetterSummary? deadLetters)
    {
        if (deadLetters is null)
        {
            json.WriteNull("deadLetters");
            return;
        }

        json.WriteStartObject("deadLetters");
        json.WriteNumber("count", deadLetters.Count);
        json.WriteStartArray("groups");
        foreach (var group in deadLetters.Groups)
        {
            json.WriteStartObject();
            json.WriteString("schema", group.Schema);
            json.WriteString("table", group.Table);
            json.WriteString("kind", group.Kind);
            json.WriteNumber("count", group.Count);
            json.WriteTime("firstFailedAt", group.FirstFailedAt);
            json.WriteTime("lastFailedAt", group.LastFailedAt);
            json.WriteString("latestReason", group.LatestReason);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteBackfills(Utf8JsonWriter json, IReadOnlyList<BackfillStatus>? backfills)
    {
        if (backfills is null)
        {
            json.WriteNull("backfills");
            return;
        }

        json.WriteStartArray("backfills");
        foreach (var backfill in backfills)
        {
            json.WriteStartObject();
            json.WriteNumber("id", backfill.Id);
            json.WriteString("schema", backfill.Schema);
            json.WriteString("table", backfill.Table);
            json.WriteString("state", backfill.State);
            json.WriteNumber("rowsDone", backfill.RowsDone);
            json.WriteNumber("rowsEstimate", backfill.RowsEstimate);
            json.WriteTime("createdAt", backfill.CreatedAt);
            json.WriteTime("updatedAt", backfill.UpdatedAt);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static void WriteSize(Utf8JsonWriter json, StoreSize? size)
    {
        if (size is null)
        {
            json.WriteNull("store");
            return;
        }

        json.WriteStartObject("store");
        json.WriteNumber("changesBytes", size.ChangesBytes);
        json.WriteNumber("deadLettersBytes", size.DeadLettersBytes);
        json.WriteNumber("totalBytes", size.TotalBytes);
        json.WriteEndObject();
    }

    private static void WriteCapturedTables(Utf8JsonWriter json, IReadOnlyList<CapturedTable>? tables)
    {
        if (tables is null)
        {
            json.WriteNull("capturedTables");
            return;
        }

        json.WriteStartArray("capturedTables");
        foreach (var table in tables)
        {
            json.WriteStartObject();
            json.WriteString("schema", table.Schema);
            json.WriteString("table", table.Table);
            json.WriteStartArray("operations");
            foreach (var operation in table.Operations)
            {
                json.WriteStringValue(operation);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }
}
