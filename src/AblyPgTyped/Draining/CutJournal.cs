using System;
using System.Collections.Generic;
using System.Buffers;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Capture;
using Npgsql;

namespace AblyPgTyped.Draining;

/// <summary>
/// Remembers, durably and before they are sent, how chunks were cut into messages, so that after a crash a chunk Ably
/// may have accepted is sent again as the same messages, with the same ids, which Ably de-duplicates. Without it a
/// restarted connector bundles the same changes differently, under other ids, and subscribers see them twice.
/// </summary>
/// <remarks>
/// <para>
/// Only bundling needs it: a message of one change has that change's id however the chunk is cut. Every chunk is
/// recorded, single messages included, since a change sent alone before a crash may otherwise be bundled after it.
/// </para>
/// <para>
/// After a restart a channel's first change either starts a recorded chunk (it is sent again as it was cut), or lies
/// inside one whose first changes are done. With a slot (changes in commit order) a channel's chunk is accepted or
/// refused as a whole, so that chunk was accepted, and its remaining changes are not sent again; the trigger store
/// cannot tell (see <see cref="PositionsInOrder"/>), so such a chunk is cut afresh there. A chunk refused for its whole channel is dead-lettered as
/// a whole instead; such chunks (their first change is a dead letter) are left out, and go again to be dead-lettered.
/// </para>
/// <para>
/// The cuts travel with the leader fence's check (<see cref="LeaderFence"/>), one row per check, so recording costs no
/// round trip of its own; that session commits asynchronously. A connector that crashes loses none of them; a database
/// server that crashes may lose the last fraction of a second's, whose changes may then be seen twice, never lost (a
/// bundle's id names its first and last change, so a chunk cut afresh never takes another's id). A row is deleted once
/// every chunk in it ends below what is durably done: the store's oldest row (triggers), or the slot's confirmed
/// position (logical replication); and at the latest after 3 minutes, when Ably no longer de-duplicates its ids.
/// </para>
/// </remarks>
internal sealed class CutJournal
{
    private static readonly TimeSpan ForgetInterval = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a cut matters: Ably de-duplicates ids for 2 minutes, so a chunk accepted longer ago than that comes
    /// again after a restart whatever its id, and one never accepted may be cut afresh. This bounds the journal while a
    /// channel stays behind for hours (and holds back what counts as done).
    /// </summary>
    private static readonly TimeSpan Relevance = TimeSpan.FromMinutes(3);

    private readonly object _sync = new();
    private readonly Dictionary<string, List<ChunkCut>> _replays = new(StringComparer.Ordinal);
    private readonly string _loadSql;
    private readonly string _deadLettersSql;
    private List<ChunkCut> _pending = [];
    private long _added;
    private long _lastForgotten;

    private CutJournal(string captureSchema, string doneBelowSql, bool positionsInOrder)
    {
        PositionsInOrder = positionsInOrder;
        Table = CaptureSql.QualifiedName(captureSchema, CaptureSql.SentCutsTable);
        ForgetSql = $"DELETE FROM {Table} WHERE upto < {doneBelowSql} OR recorded_at < clock_timestamp() - interval '{(int)Relevance.TotalSeconds} seconds'";
        _loadSql = $"SELECT cuts FROM {Table} ORDER BY id";
        _deadLettersSql =
            $"SELECT d.change_id, d.change_index FROM {CaptureSql.QualifiedName(captureSchema, CaptureSql.DeadLettersTable)} d " +
            "JOIN unnest($1::bigint[], $2::integer[]) f(id, idx) ON d.change_id = f.id AND d.change_index = f.idx";
    }

    /// <summary>
    /// Whether a channel's changes arrive in position order without exception, so that a recorded chunk whose first
    /// changes are done was accepted whole and nothing else lies inside it: true of a slot (commit order). The trigger
    /// store is read in id order, but a transaction that commits late fills in lower ids (see UnreadRanges), so a
    /// change never sent may lie inside a chunk sent before it.
    /// </summary>
    public bool PositionsInOrder { get; }

    /// <summary>The journal table, quoted.</summary>
    public string Table { get; }

    /// <summary>Deletes the rows whose every chunk is durably done.</summary>
    public string ForgetSql { get; }

    /// <summary>Whether cuts recorded before the restart may still concern changes waiting to be sent.</summary>
    public bool HasReplays => _replays.Count > 0;

    /// <summary>For trigger capture: a chunk is done once every store row up to the one it ends in is gone.</summary>
    public static CutJournal ForStore(string captureSchema) =>
        new(captureSchema, $"coalesce((SELECT min(id) FROM {CaptureSql.QualifiedName(captureSchema, CaptureSql.ChangesTable)}), {long.MaxValue})", positionsInOrder: false);

    /// <summary>For logical replication: a chunk is done once the slot's confirmed position passed its last transaction's commit.</summary>
    public static CutJournal ForSlot(string captureSchema, string slotName) =>
        new(captureSchema,
            "coalesce((SELECT (confirmed_flush_lsn - '0/0'::pg_lsn)::numeric::bigint FROM pg_catalog.pg_replication_slots " +
            $"WHERE slot_name = {CaptureSql.QuoteLiteral(slotName)}), {long.MinValue})", positionsInOrder: true);

    /// <summary>Queues cuts to be recorded by the next check; returns the number to wait for (see <see cref="TakePending"/>).</summary>
    public long Add(IEnumerable<ChunkCut> cuts)
    {
        lock (_sync)
        {
            foreach (var cut in cuts)
            {
                _pending.Add(cut);
                _added++;
            }

            return _added;
        }
    }

    /// <summary>The cuts queued so far, and the number recorded once they are.</summary>
    public (List<ChunkCut> Cuts, long Through) TakePending()
    {
        lock (_sync)
        {
            var taken = _pending;
            _pending = [];
            return (taken, _added);
        }
    }

    /// <summary>Whether the done rows are due to be deleted; called under the fence's gate.</summary>
    public bool ForgetDue()
    {
        if (Stopwatch.GetElapsedTime(_lastForgotten) < ForgetInterval)
        {
            return false;
        }

        _lastForgotten = Stopwatch.GetTimestamp();
        return true;
    }

    /// <summary>One row: the cuts as JSON (<c>[{"c":channel,"f":"id.index","m":moved,"l":"id.index","n":[counts]}]</c>),
    /// and the highest store row (or commit) a cut ends in.</summary>
    public static (string Text, long UpTo) Encode(List<ChunkCut> cuts)
    {
        var buffer = new ArrayBufferWriter<byte>(cuts.Count * 64);
        var upTo = long.MinValue;
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var cut in cuts)
            {
                writer.WriteStartObject();
                writer.WriteString("c"u8, cut.Channel);
                writer.WriteString("f"u8, cut.First.ToString());
                writer.WriteBoolean("m"u8, cut.FirstMoved);
                writer.WriteString("l"u8, cut.Last.ToString());
                writer.WriteStartArray("n"u8);
                foreach (var count in cut.Counts)
                {
                    writer.WriteNumberValue(count);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
                upTo = Math.Max(upTo, cut.Last.CaptureId);
            }

            writer.WriteEndArray();
        }

        return (Encoding.UTF8.GetString(buffer.WrittenSpan), upTo);
    }

    /// <summary>
    /// Reads the cuts recorded by earlier leaders that may still matter (a later cut of the same first change wins),
    /// leaving out chunks dead-lettered as a whole.
    /// </summary>
    public async Task LoadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using (var forget = new NpgsqlCommand(ForgetSql, connection))
        {
            await forget.ExecuteNonQueryAsync(cancellationToken);
        }

        _lastForgotten = Stopwatch.GetTimestamp();
        var latest = new Dictionary<(string, ChangePosition, bool), ChunkCut>();
        await using (var load = new NpgsqlCommand(_loadSql, connection))
        await using (var reader = await load.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                foreach (var cut in Decode(reader.GetString(0)))
                {
                    latest[(cut.Channel, cut.First, cut.FirstMoved)] = cut;
                }
            }
        }

        var deadLettered = new HashSet<ChangePosition>();
        if (latest.Count > 0)
        {
            await using var dead = new NpgsqlCommand(_deadLettersSql, connection);
            dead.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = latest.Keys.Select(k => k.Item2.CaptureId).ToArray() });
            dead.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = latest.Keys.Select(k => k.Item2.Index).ToArray() });
            await using var reader = await dead.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                deadLettered.Add(new ChangePosition(reader.GetInt64(0), reader.GetInt32(1)));
            }
        }

        foreach (var cut in latest.Values.Where(c => !deadLettered.Contains(c.First)).OrderBy(c => c.First))
        {
            if (!_replays.TryGetValue(cut.Channel, out var cuts))
            {
                _replays[cut.Channel] = cuts = [];
            }

            cuts.Add(cut);
        }
    }

    /// <summary>
    /// The cut recorded before the restart, on <paramref name="channel"/>, of the chunk that holds
    /// <paramref name="first"/> (its first change, or one inside it); null when there is none. Cuts of the channel
    /// that end before it are done, and forgotten.
    /// </summary>
    public ChunkCut? Recorded(string channel, PendingChange first)
    {
        if (_replays.Count == 0 || !_replays.TryGetValue(channel, out var cuts))
        {
            return null;
        }

        var position = first.Change.Position;
        var done = 0;
        while (done < cuts.Count && cuts[done].Last.CompareTo(position) < 0)
        {
            done++;
        }

        cuts.RemoveRange(0, done);
        if (cuts.Count == 0)
        {
            _replays.Remove(channel);
            return null;
        }

        var cut = cuts[0];
        var starts = cut.First.CompareTo(position);
        return starts < 0 || (starts == 0 && cut.FirstMoved == first.Change.Moved) ? cut : null;
    }

    /// <summary>The cut was sent again, or can no longer be.</summary>
    public void Forget(ChunkCut cut)
    {
        if (_replays.TryGetValue(cut.Channel, out var cuts))
        {
            cuts.Remove(cut);
            if (cuts.Count == 0)
            {
                _replays.Remove(cut.Channel);
            }
        }
    }

    private static List<ChunkCut> Decode(string text)
    {
        // A row this version cannot read costs only that its chunks are cut afresh.
        var cuts = new List<ChunkCut>();
        try
        {
            using var document = JsonDocument.Parse(text);
            foreach (var element in document.RootElement.EnumerateArray())
            {
                var counts = element.GetProperty("n").EnumerateArray().Select(n => n.GetInt32()).ToArray();
                if (counts.Length > 0 && counts.All(n => n > 0))
                {
                    cuts.Add(new ChunkCut(
                        element.GetProperty("c").GetString()!,
                        ChangePosition.Parse(element.GetProperty("f").GetString()!),
                        element.GetProperty("m").GetBoolean(),
                        ChangePosition.Parse(element.GetProperty("l").GetString()!),
                        counts)
                    { Recorded = true });
                }
            }
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
        }

        return cuts;
    }
}
