using System;
using System.Buffers;
using System.Collections.Generic;
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
/// After a restart a channel's first change either starts a recorded chunk (its messages go again as they were cut), or
/// lies inside one whose first changes are done. A channel's chunk is accepted or refused as a whole, so that chunk was
/// accepted, and its remaining changes are not sent again, provided nothing outside it can lie inside its range: always
/// true of a slot (commit order); in the trigger store only if no transaction that took a store id inside it was still
/// open when it was cut (<see cref="ChunkCut.Settled"/>). Otherwise it is cut afresh. Chunks holding a dead letter are
/// left out, and a later cut overlapping an earlier one of its channel replaces it.
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

    private CutJournal(string captureSchema, string doneBelowSql)
    {
        Table = CaptureSql.QualifiedName(captureSchema, CaptureSql.SentCutsTable);
        ForgetSql = $"DELETE FROM {Table} WHERE upto < {doneBelowSql} OR recorded_at < clock_timestamp() - interval '{(int)Relevance.TotalSeconds} seconds'";
        _loadSql = $"SELECT cuts FROM {Table} ORDER BY id";
        _deadLettersSql =
            $"SELECT change_id, change_index FROM {CaptureSql.QualifiedName(captureSchema, CaptureSql.DeadLettersTable)} WHERE change_id BETWEEN $1 AND $2";
    }

    /// <summary>The journal table, quoted.</summary>
    public string Table { get; }

    /// <summary>Deletes the rows whose every chunk is durably done.</summary>
    public string ForgetSql { get; }

    /// <summary>Whether cuts recorded before the restart may still concern changes waiting to be sent.</summary>
    public bool HasReplays => _replays.Count > 0;

    /// <summary>For trigger capture: a chunk is done once every store row up to the one it ends in is gone.</summary>
    public static CutJournal ForStore(string captureSchema) =>
        new(captureSchema, $"coalesce((SELECT min(id) FROM {CaptureSql.QualifiedName(captureSchema, CaptureSql.ChangesTable)}), {long.MaxValue})");

    /// <summary>For logical replication: a chunk is done once the slot's confirmed position passed its last transaction's commit.</summary>
    public static CutJournal ForSlot(string captureSchema, string slotName) =>
        new(captureSchema,
            "coalesce((SELECT (confirmed_flush_lsn - '0/0'::pg_lsn)::numeric::bigint FROM pg_catalog.pg_replication_slots " +
            $"WHERE slot_name = {CaptureSql.QuoteLiteral(slotName)}), {long.MinValue})");

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

    /// <summary>One row: the cuts as JSON (<c>[{"c":channel,"f":"id.index","m":moved,"l":"id.index","u":[[low,high]],"n":[counts]}]</c>),
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
                if (cut.Unread is { } unread)
                {
                    writer.WriteStartArray("u"u8);
                    foreach (var (low, high) in unread)
                    {
                        writer.WriteStartArray();
                        writer.WriteNumberValue(low);
                        writer.WriteNumberValue(high);
                        writer.WriteEndArray();
                    }

                    writer.WriteEndArray();
                }
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
    /// Reads the cuts recorded by earlier leaders that may still matter, leaving out chunks that hold a dead letter. A
    /// cut replaces the earlier cuts of its channel that reach its first change: the lane cut afresh from there (after a
    /// restart, or a refusal), so those no longer describe what was sent.
    /// </summary>
    public async Task LoadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using (var forget = new NpgsqlCommand(ForgetSql, connection))
        {
            await forget.ExecuteNonQueryAsync(cancellationToken);
        }

        _lastForgotten = Stopwatch.GetTimestamp();
        var loaded = new Dictionary<string, List<ChunkCut>>(StringComparer.Ordinal);
        long low = long.MaxValue, high = long.MinValue;
        await using (var load = new NpgsqlCommand(_loadSql, connection))
        await using (var reader = await load.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                foreach (var cut in Decode(reader.GetString(0)))
                {
                    if (!loaded.TryGetValue(cut.Channel, out var cuts))
                    {
                        loaded[cut.Channel] = cuts = [];
                    }

                    cuts.RemoveAll(earlier => Overlaps(earlier, cut));
                    cuts.Add(cut);
                    low = Math.Min(low, cut.First.CaptureId);
                    high = Math.Max(high, cut.Last.CaptureId);
                }
            }
        }

        var deadLetters = new List<ChangePosition>();
        if (loaded.Count > 0)
        {
            await using var dead = new NpgsqlCommand(_deadLettersSql, connection);
            dead.Parameters.Add(new NpgsqlParameter<long> { TypedValue = low });
            dead.Parameters.Add(new NpgsqlParameter<long> { TypedValue = high });
            await using var reader = await dead.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                deadLetters.Add(new ChangePosition(reader.GetInt64(0), reader.GetInt32(1)));
            }
        }

        foreach (var (channel, cuts) in loaded)
        {
            // A chunk with a dead letter was refused, at least in part: it goes again to be dead-lettered, cut afresh.
            cuts.RemoveAll(cut => deadLetters.Exists(d => d.CompareTo(cut.First) >= 0 && d.CompareTo(cut.Last) <= 0));
            if (cuts.Count > 0)
            {
                cuts.Sort((x, y) => x.First.CompareTo(y.First));
                _replays[channel] = cuts;
            }
        }
    }

    /// <summary>
    /// The first cut recorded before the restart on <paramref name="channel"/> that ends at or after
    /// <paramref name="first"/>, the lane's next change; null when there is none. Cuts that end before it are done,
    /// and forgotten.
    /// </summary>
    public ChunkCut? Next(string channel, PendingChange first)
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

        return cuts[0];
    }

    /// <summary>Part of the cut was sent again: what is left of it (null for nothing) takes its place.</summary>
    public void Replace(ChunkCut cut, ChunkCut? rest)
    {
        if (_replays.TryGetValue(cut.Channel, out var cuts) && cuts.IndexOf(cut) is var at and >= 0)
        {
            if (rest is null)
            {
                cuts.RemoveAt(at);
            }
            else
            {
                cuts[at] = rest with { Recorded = true };
            }

            if (cuts.Count == 0)
            {
                _replays.Remove(cut.Channel);
            }
        }
    }

    /// <summary>
    /// The channel's lane cuts afresh (a replayed chunk was refused, or could not be replayed): its recorded cuts no
    /// longer describe what it sends. Forgetting them may cost a change seen twice, never one lost.
    /// </summary>
    public void ForgetChannel(string channel) => _replays.Remove(channel);

    /// <summary>The cut was sent again, or can no longer be.</summary>
    public void Forget(ChunkCut cut) => Replace(cut, null);

    /// <summary>
    /// Whether <paramref name="later"/> covers changes of <paramref name="earlier"/>, so was cut afresh over it. One
    /// that starts with a change that came late inside the earlier one's range follows it, as the lane sent them.
    /// </summary>
    private static bool Overlaps(ChunkCut earlier, ChunkCut later) =>
        later.First.CompareTo(earlier.Last) <= 0 && later.Last.CompareTo(earlier.First) >= 0
        && !(later.First.CompareTo(earlier.First) > 0 && earlier.CameLate(later.First));

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
                    { Recorded = true, Unread = element.TryGetProperty("u"u8, out var unread) ? [.. unread.EnumerateArray().Select(r => (r[0].GetInt64(), r[1].GetInt64()))] : null });
                }
            }
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
        }

        return cuts;
    }
}
