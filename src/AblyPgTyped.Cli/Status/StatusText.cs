using System.Linq;
using System.Text;
using AblyPgTyped.Capture;
using AblyPgTyped.Cli.DeadLetters;
using static AblyPgTyped.Cli.HumanUnits;

namespace AblyPgTyped.Cli.Status;

/// <summary><c>ablypg status</c> for a person: the same facts as <see cref="StatusJson"/>, with what they mean. Not a stable format.</summary>
internal static class StatusText
{
    /// <summary>The lease timeout a connector uses unless its options set another (ConnectorOptions.LeaseTimeout).</summary>
    private const double DefaultLeaseSeconds = 15;

    /// <summary>A store whose oldest change is older than this, with no connector active, looks abandoned.</summary>
    private const double AbandonedAfterSeconds = 3600;

    public static string Write(StoreStatus status)
    {
        var text = new StringBuilder();
        var schema = CaptureSql.QuoteIdentifier(status.CaptureSchema);
        text.Append("Capture schema ").Append(schema).Append(" in database ").Append(CaptureSql.QuoteIdentifier(status.Database))
            .Append(status.InstallId is { Length: > 0 } id ? " (install " + id + ")" : "").Append(", at ").Append(Time(status.CheckedAt)).Append('\n');
        Connector(text, status.Connector);
        if (!status.Installed)
        {
            text.Append("Not installed: the database has no capture store in schema ").Append(schema)
                .Append(". Check the capture schema setting (captureSchema, ABLYPG_CAPTURE_SCHEMA).\n");
            return text.ToString();
        }

        if (status.Slot is { } slot)
        {
            text.Append("Capture:       logical replication, slot ").Append(slot.Name).Append(slot.Active ? ", streaming to backend " + slot.ActivePid : ", not streaming")
                .Append(slot.WalStatus is { } wal ? ", WAL " + wal : "").Append('\n')
                .Append("Backlog:       ").Append(slot.UnconfirmedBytes is { } bytes ? Size(bytes) : "unknown").Append(" of WAL not yet confirmed")
                .Append(slot.SafeWalSizeBytes is { } safe ? "; " + Size(safe) + " more before the slot is at risk (max_slot_wal_keep_size)" : "").Append('\n');
        }

        Backlog(text, status.Backlog);
        DeadLetters(text, status.DeadLetters);
        if (status.Backfills is { } backfills)
        {
            text.Append("Backfills:     ").Append(backfills.Count == 0 ? "none running" : Count(backfills.Count) + " running").Append('\n');
            foreach (var b in backfills)
            {
                text.Append("  ").Append(b.Id).Append(' ').Append(b.Schema).Append('.').Append(b.Table).Append(": ")
                    .Append(Count(b.RowsDone)).Append(" of about ").Append(Count(b.RowsEstimate)).Append(" row(s), updated ").Append(Time(b.UpdatedAt)).Append('\n');
            }
        }

        if (status.Size is { } size)
        {
            text.Append("Store size:    changes ").Append(Size(size.ChangesBytes)).Append(", dead letters ").Append(Size(size.DeadLettersBytes))
                .Append(", schema in all ").Append(Size(size.TotalBytes)).Append('\n');
        }

        if (status.CapturedTables is { } tables)
        {
            text.Append("Captured:      ").Append(tables.Count == 0 ? "no table has capture triggers" : string.Join(", ",
                tables.Select(t => t.Schema + "." + t.Table + " (" + string.Join(", ", t.Operations) + ")"))).Append('\n');
        }

        foreach (var problem in status.Unreadable)
        {
            text.Append("Not readable:  ").Append(problem).Append('\n');
        }

        Advice(text, status);
        return text.ToString();
    }

    private static void Connector(StringBuilder text, LeaderStatus leader)
    {
        if (!leader.Active)
        {
            text.Append("Connector:     none active (none running, or all standing by for a moment after a take-over)\n");
            return;
        }

        text.Append("Connector:     active, backend ").Append(leader.Pid);
        if (!leader.Visible)
        {
            text.Append(" (its session's details are hidden from this role: it needs pg_read_all_stats)\n");
            return;
        }

        text.Append(", user ").Append(leader.User).Append(", from ").Append(leader.ClientHostname ?? leader.ClientAddress ?? "a local socket")
            .Append(leader.ApplicationName is { Length: > 0 } app ? " (" + app + ")" : "")
            .Append(", since ").Append(Time(leader.Since!.Value)).Append('\n');
        if (leader.SilentSeconds is { } silent)
        {
            text.Append("Lease:         last sign of life ").Append(Duration(silent)).Append(" ago")
                .Append(silent > DefaultLeaseSeconds
                    ? "; past the default lease of 15 s: a standby, if one runs, ends this session and takes over"
                    : "; a standby takes over once it is silent for the lease timeout (15 s by default)")
                .Append('\n');
        }
    }

    private static void Backlog(StringBuilder text, Backlog? backlog)
    {
        if (backlog is null)
        {
            return;
        }

        if (backlog.Oldest is not { } oldest)
        {
            text.Append("Backlog:       none: every change captured has been published or dead-lettered\n");
            return;
        }

        text.Append("Backlog:       ").Append(Count(backlog.Changes)).Append(" change(s) waiting, in ").Append(Count(backlog.StoreRows)).Append(" store row(s)\n")
            .Append("Oldest:        ").Append(oldest.Position).Append(", ").Append(oldest.Operation).Append(" of ").Append(oldest.Schema).Append('.').Append(oldest.Table)
            .Append(", captured ").Append(Time(oldest.CapturedAt)).Append('\n')
            .Append("Lag:           ").Append(Duration(backlog.LagSeconds)).Append(" (the age of the oldest change waiting)\n");
        foreach (var table in backlog.Tables)
        {
            text.Append("  table   ").Append((table.Schema + "." + table.Table).PadRight(32)).Append(' ').Append(Count(table.Changes).PadLeft(12))
                .Append("  oldest ").Append(Duration(table.OldestAgeSeconds)).Append('\n');
        }

        foreach (var channel in backlog.Channels)
        {
            text.Append("  channel ").Append((channel.Channel ?? "(not mapped)").PadRight(32)).Append(' ').Append(Count(channel.Changes).PadLeft(12))
                .Append("  oldest ").Append(Duration(channel.OldestAgeSeconds)).Append('\n');
        }
    }

    private static void DeadLetters(StringBuilder text, DeadLetterSummary? deadLetters)
    {
        if (deadLetters is null)
        {
            return;
        }

        text.Append("Dead letters:  ").Append(deadLetters.Count == 0 ? "none" : Count(deadLetters.Count)).Append('\n');
        foreach (var group in deadLetters.Groups)
        {
            text.Append("  ").Append((group.Schema + "." + group.Table).PadRight(32)).Append(' ').Append(Count(group.Count).PadLeft(8)).Append("  ")
                .Append(DeadLetterKinds.Describe(group.Kind)).Append(", last ").Append(Time(group.LastFailedAt)).Append(": ").Append(Shorten(group.LatestReason, 160)).Append('\n');
        }
    }

    private static void Advice(StringBuilder text, StoreStatus status)
    {
        var waiting = status.Backlog is { Oldest: not null };
        if (!status.Connector.Active && waiting)
        {
            text.Append('\n').Append(status.Backlog!.LagSeconds >= AbandonedAfterSeconds
                ? "No connector is active and changes have waited for over an hour: if this capture schema is abandoned, every write to the captured\n" +
                  "tables still adds to its store. Start a connector (ablypg run), or remove capture with `ablypg uninstall` (see docs/operations.md).\n"
                : "No connector is active: changes wait in the store until one starts (ablypg run), and are then published in order.\n");
        }

        if (!status.Connector.Active && status.Slot is { UnconfirmedBytes: > 0 })
        {
            text.Append('\n').Append("No connector is active: the replication slot keeps the WAL it has not confirmed, so the server's disk use grows until\n" +
                                     "one starts (ablypg run). If this capture schema is abandoned, remove it and its slot with `ablypg uninstall`.\n");
        }

        if (status.DeadLetters is { Count: > 0 })
        {
            text.Append('\n').Append("Dead letters were not published. `ablypg dead-letters list` shows them; fix the cause, then `ablypg dead-letters replay`\n" +
                                     "or `ablypg dead-letters purge` (see docs/operations.md).\n");
        }
    }

    private static string Shorten(string text, int length) =>
        (text.Length <= length ? text : text[..(length - 1)] + "…").ReplaceLineEndings(" ");
}
