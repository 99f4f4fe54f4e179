using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Capture;
using AblyPgTyped.Cli.Status;
using Npgsql;

namespace AblyPgTyped.Cli.DeadLetters;

/// <summary>
/// Puts dead letters back into the capture store, so that a connector publishes them the way it publishes every change:
/// decoded by its mappings, on their channels in position order, paced, bundled, fenced, with ids from their position,
/// and dead-lettered again, with the reason, if they still cannot be published. Each batch moves its letters in one
/// transaction: a letter is in the store or among the dead letters, never both and never neither.
/// </summary>
/// <remarks>
/// Where in line they go depends on whether a connector leads the capture schema. When none does, the replay takes the
/// leader's lock while it works and puts each change back at its original position: in its store row if that row still
/// waits, else in a row re-created under the original id. The next connector reads the store from its start, so each
/// change is published exactly where it would have been, before every later change of its row still waiting, and with
/// its original position and message id. When a connector leads, it reads only rows newer than those it has seen, so
/// the changes are appended as new store rows, in their original order: they are published after every change captured
/// before the replay, with new positions.
/// </remarks>
internal sealed class DeadLetterReplay(NpgsqlConnection connection, string captureSchema)
{
    private const int MaxLettersPerBatch = 500;

    private const long MaxBytesPerBatch = 16 * 1024 * 1024;

    private readonly DeadLetterStore _store = new(connection, captureSchema);
    private readonly StoreRows _rows = new(connection, captureSchema);

    public async Task<ReplayOutcome> RunAsync(DeadLetterSelection selection, CancellationToken cancellationToken = default)
    {
        await selection.CheckTableAsync(connection, _store.TableName, cancellationToken);
        var lockKey = CaptureSql.LeaderLockKey(captureSchema);
        var inPlace = await ScalarAsync<bool>($"SELECT pg_try_advisory_lock({lockKey})", cancellationToken);
        try
        {
            var outcome = new ReplayOutcome(inPlace, inPlace ? LeaderStatus.None : await LeaderProbe.FindAsync(connection, captureSchema, cancellationToken));

            // Letters dead-lettered again while this runs (by an active connector) are newer than this, and not taken again.
            var newest = await ScalarAsync<long>($"SELECT coalesce(max(id), 0) FROM {_store.TableName}", cancellationToken);
            var after = (ChangeId: long.MinValue, Index: int.MinValue, Id: long.MinValue);
            while (true)
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                var batch = await NextBatchAsync(selection, newest, after, transaction, cancellationToken);
                if (batch.Count == 0)
                {
                    break;
                }

                after = (batch[^1].ChangeId, batch[^1].ChangeIndex, batch[^1].Id);
                var replay = new List<DeadLetter>();
                foreach (var letter in batch)
                {
                    outcome.Seen.Add(letter.Id);
                    (letter.Replayable ? replay : outcome.Left).Add(letter);
                }

                var moved = inPlace
                    ? await RestoreAsync(replay, outcome, transaction, cancellationToken)
                    : await AppendAsync(replay, outcome, transaction, cancellationToken);
                await ExecuteAsync($"DELETE FROM {_store.TableName} WHERE id = ANY($1)", transaction, cancellationToken, moved.Select(l => l.Id).ToArray());
                await ExecuteAsync(
                    $"SELECT pg_notify($1, '') FROM {CaptureSql.QualifiedName(captureSchema, CaptureSql.WakeupTable)} w WHERE w.armed",
                    transaction, cancellationToken, CaptureSql.WakeupChannel(captureSchema));
                await transaction.CommitAsync(cancellationToken);
                outcome.Replayed.AddRange(moved);
            }

            return outcome;
        }
        finally
        {
            if (inPlace)
            {
                await ScalarAsync<bool>($"SELECT pg_advisory_unlock({lockKey})", CancellationToken.None);
            }
        }
    }

    /// <summary>The next letters in position order, locked, bounded in count and in bytes (but at least one).</summary>
    private async Task<List<DeadLetter>> NextBatchAsync(
        DeadLetterSelection selection, long newest, (long ChangeId, int Index, long Id) after, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand { Connection = connection, Transaction = transaction };
        var condition = selection.Condition(command);
        var first = command.Parameters.Count + 1;
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = newest });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = after.ChangeId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = after.Index });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = after.Id });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = MaxLettersPerBatch });
        command.CommandText =
            $"SELECT {DeadLetterStore.SelectList(command, "d.data::text")} FROM {_store.TableName} d " +
            $"WHERE {condition} AND d.id <= ${first} AND (d.change_id, d.change_index, d.id) > (${first + 1}, ${first + 2}, ${first + 3}) " +
            $"ORDER BY d.change_id, d.change_index, d.id LIMIT ${first + 4} FOR UPDATE OF d";
        var letters = await DeadLetterStore.ReadAllAsync(command, cancellationToken);
        long bytes = 0;
        var count = 0;
        while (count < letters.Count && (count == 0 || bytes + letters[count].DataBytes <= MaxBytesPerBatch))
        {
            bytes += letters[count++].DataBytes;
        }

        return letters.GetRange(0, count);
    }

    /// <summary>
    /// Puts each change back at its position: into its store row when that still waits (where a finished change is JSON
    /// null), else into a row re-created under the original id. A position that is taken is left as a conflict.
    /// </summary>
    private async Task<List<DeadLetter>> RestoreAsync(List<DeadLetter> letters, ReplayOutcome outcome, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var free = await _rows.FreeIndexesAsync(letters.Select(l => l.ChangeId).Distinct().ToArray(), transaction, cancellationToken);
        var taken = new HashSet<(long, int)>();
        var intoRows = new List<DeadLetter>();
        var newRows = new List<DeadLetter>();
        foreach (var letter in letters)
        {
            var fits = free.TryGetValue(letter.ChangeId, out var indexes)
                ? indexes is not null && letter.Kind != DeadLetterKinds.UnreadableRow && indexes.Contains(letter.ChangeIndex)
                : letter.Kind != DeadLetterKinds.UnreadableRow || letter.ChangeIndex == 0;
            if (!fits || !taken.Add((letter.ChangeId, letter.ChangeIndex)))
            {
                outcome.Conflicts.Add(letter);
                continue;
            }

            (indexes is null ? newRows : intoRows).Add(letter);
        }

        if (intoRows.Count > 0)
        {
            await _rows.RestoreIntoAsync(intoRows, transaction, cancellationToken);
        }

        var rows = newRows.GroupBy(l => l.ChangeId).Select(row => StoreRows.AtPositions(row.ToList())).ToList();
        if (rows.Count > 0)
        {
            await _rows.InsertAsync(rows, keepIds: true, transaction, cancellationToken);
        }

        return [.. intoRows, .. newRows];
    }

    /// <summary>Appends each change as a new store row, in the letters' order; the store gives them new positions.</summary>
    private async Task<List<DeadLetter>> AppendAsync(List<DeadLetter> letters, ReplayOutcome outcome, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        if (letters.Count == 0)
        {
            return letters;
        }

        var ids = await _rows.InsertAsync(letters.Select(StoreRows.Alone).ToList(), keepIds: false, transaction, cancellationToken);
        outcome.FirstNewRow ??= ids.Min();
        outcome.LastNewRow = ids.Max();
        return letters;
    }

    private async Task ExecuteAsync(string sql, NpgsqlTransaction transaction, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(parameter as NpgsqlParameter ?? new NpgsqlParameter { Value = parameter });
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<T> ScalarAsync<T>(string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
