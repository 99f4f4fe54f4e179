using System;
using System.Collections.Generic;

namespace AblyPgTyped.Cli.Status;

/// <summary>
/// What <c>ablypg status</c> reports about one capture schema. A section this role may not read is null, and
/// <see cref="Unreadable"/> says why; sections of a schema that is not installed are null too. In logical-replication
/// mode (<see cref="Slot"/> set) the changes waiting are in the slot, and <see cref="Backlog"/> is null.
/// </summary>
internal sealed record StoreStatus(
    DateTimeOffset CheckedAt,
    string Database,
    string CaptureSchema,
    bool Installed,
    string? InstallId,
    LeaderStatus Connector,
    ReplicationSlotStatus? Slot,
    Backlog? Backlog,
    DeadLetterSummary? DeadLetters,
    IReadOnlyList<BackfillStatus>? Backfills,
    StoreSize? Size,
    IReadOnlyList<CapturedTable>? CapturedTables,
    IReadOnlyList<string> Unreadable);

/// <summary>The changes waiting in the store.</summary>
/// <param name="Changes">Changes waiting (a partly published store row counts whole, for at most a second).</param>
/// <param name="StoreRows">Store rows: one per statement's changes of a table, up to 1000 changes each.</param>
/// <param name="Oldest">The change captured longest ago, or null when none waits.</param>
/// <param name="LagSeconds">The age of <see cref="Oldest"/>: how far behind the furthest-behind subscriber may be; 0 when none waits.</param>
/// <param name="Tables">Per captured table.</param>
/// <param name="Channels">Per channel, as the mapping names it (a template such as <c>users:{Id}</c> stands for all its channels).</param>
internal sealed record Backlog(
    long Changes, long StoreRows, OldestChange? Oldest, double LagSeconds, IReadOnlyList<TableBacklog> Tables, IReadOnlyList<ChannelBacklog> Channels);

/// <summary>The change waiting longest.</summary>
internal sealed record OldestChange(string Position, string Schema, string Table, string Operation, DateTimeOffset CapturedAt, double AgeSeconds);

/// <summary>The changes of one table waiting.</summary>
internal sealed record TableBacklog(string Schema, string Table, long Changes, long StoreRows, DateTimeOffset OldestCapturedAt, double OldestAgeSeconds);

/// <summary>
/// The changes waiting for one channel. <see cref="Channel"/> is null for changes whose table and operation the installed
/// mappings no longer name (they are dead-lettered when read, unless a connector maps them again).
/// </summary>
internal sealed record ChannelBacklog(string? Channel, long Changes, DateTimeOffset OldestCapturedAt, double OldestAgeSeconds);

/// <summary>The dead letters, grouped by table and by kind of reason (see <c>DeadLetterKinds</c>).</summary>
internal sealed record DeadLetterSummary(long Count, IReadOnlyList<DeadLetterGroup> Groups);

/// <summary>The dead letters of one table for one kind of reason, with the latest reason as an example.</summary>
internal sealed record DeadLetterGroup(
    string Schema, string Table, string Kind, long Count, DateTimeOffset FirstFailedAt, DateTimeOffset LastFailedAt, string LatestReason);

/// <summary>On-disk sizes, indexes and TOAST included.</summary>
internal sealed record StoreSize(long ChangesBytes, long DeadLettersBytes, long TotalBytes);

/// <summary>A table with capture triggers from this schema: every write to it pays for capture, connector or not.</summary>
internal sealed record CapturedTable(string Schema, string Table, IReadOnlyList<string> Operations);
