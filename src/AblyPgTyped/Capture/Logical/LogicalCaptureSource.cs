using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.Internal;
using Npgsql.Replication.PgOutput;
using NpgsqlTypes;

namespace AblyPgTyped.Capture.Logical;

/// <summary>
/// Captured changes read from the write-ahead log through the capture schema's replication slot (pgoutput, protocol
/// version 1), rendered into the JSON the capture triggers record, so that decoding, publishing and dead letters are
/// the same in both modes.
/// </summary>
/// <remarks>
/// <para>
/// A transaction reaches the connector only once it has committed, whole and in commit order (PostgreSQL keeps a large
/// transaction in its reorder buffer, which spills to disk past <c>logical_decoding_work_mem</c>); it is cut into
/// capture rows of at most <see cref="CaptureSql.ChunkSize"/> consecutive changes of one table and operation, and the
/// stream is read only while fewer than <see cref="MaxQueuedChanges"/> changes wait here, so memory stays bounded
/// whatever the transaction's size. A change's position is <c>(commit LSN, index in the transaction)</c>: the same
/// after any restart, so are its message ids.
/// </para>
/// <para>
/// The slot is confirmed (<see cref="SlotPosition"/>) only up to the end of transactions whose every row was completed,
/// and only after their dead letters committed. The stream runs on a replication connection of its own, opened by the
/// active connector only; dead letters, heartbeats and lag checks use the leader's session, from the drain's thread.
/// </para>
/// </remarks>
internal sealed class LogicalCaptureSource : ICaptureSource, IAsyncDisposable, Observability.ISlotLagSource
{
    /// <summary>
    /// Most changes read from the stream and not yet handed to the drain: about one of the drain's reads, so the next
    /// is ready when it asks. What waits here is held on top of what the drain holds, and the stream waits in the server.
    /// </summary>
    private const int MaxQueuedChanges = 5_000;

    /// <summary>Most captured bytes waiting the same way.</summary>
    private const long MaxQueuedBytes = 8L * 1024 * 1024;

    /// <summary>
    /// A capture row is cut once it holds this many bytes of JSON, as well as at <see cref="CaptureSql.ChunkSize"/>
    /// changes. Below the large object heap's 85,000 bytes with room for one more typical change: a row's array dies
    /// young, where a large one would be collected only with generation 2, and a stream of them (a 1,000-change row of
    /// updates with whole old rows is about 200 KB) kept the heap tens of megabytes above what the drain holds.
    /// </summary>
    private const int ChunkBytes = 64 * 1024;

    /// <summary>The replication session's settings that fix the text forms <see cref="PgJson"/> reads.</summary>
    private const string SessionOptions = "-c DateStyle=ISO -c IntervalStyle=postgres -c TimeZone=UTC -c extra_float_digits=1 -c bytea_output=hex";

    /// <summary>How often the confirmed position is sent to the server at least.</summary>
    private static readonly TimeSpan StatusInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How soon an advanced position is sent at most: a crash re-sends what was accepted since the last one, and Ably
    /// de-duplicates re-sends for two minutes only.
    /// </summary>
    private static readonly TimeSpan PromptStatus = TimeSpan.FromMilliseconds(100);

    /// <summary>How often the slot's lag is read (and a heartbeat considered).</summary>
    private static readonly TimeSpan MaintenanceInterval = TimeSpan.FromSeconds(10);

    /// <summary>An idle slot this far behind the server's WAL for <see cref="HeartbeatAfter"/> gets a heartbeat.</summary>
    private const long HeartbeatLagBytes = 1024 * 1024;

    private static readonly TimeSpan HeartbeatAfter = TimeSpan.FromSeconds(30);

    /// <summary>How long a previous leader's walsender may keep the slot before it is ended.</summary>
    private static readonly TimeSpan SlotReleaseWait = TimeSpan.FromSeconds(3);

    /// <summary>PostgreSQL's timestamps count microseconds from 2000-01-01 UTC.</summary>
    private static readonly DateTime PostgresEpoch = new(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private readonly NpgsqlConnection _session;
    private readonly LogicalSetup _setup;
    private readonly ILogger _logger;
    private readonly LogicalReplicationConnection _replication;
    private readonly PgTypeCatalog _types;
    private readonly PgOutputRenderer _renderer;
    private readonly string _captureSchema;
    private readonly DeadLetterWriter _deadLetters;
    private readonly KeyValuePair<string, object?>[] _slotTags;
    private readonly SlotPosition _position;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _sync = new();
    private readonly Queue<CapturedRow> _queue = new();
    private int _visible;
    private long _queuedChanges;
    private long _queuedBytes;
    private TaskCompletionSource _available = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _space = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Exception? _failure;
    private Task _pump = Task.CompletedTask;
    private Task _keeper = Task.CompletedTask;
    private long _nextRowId;
    private long _lastMaintenance = Stopwatch.GetTimestamp();
    private long _lastProgress = Stopwatch.GetTimestamp();
    private long _lastStatus;
    private bool _heartbeats = true;
    private bool _streaming;

    private LogicalCaptureSource(NpgsqlConnection session, LogicalSetup setup, LogicalReplicationConnection replication, PgTypeCatalog types,
        IReadOnlyDictionary<(string Schema, string Table), ChangeMapping> mappings, string captureSchema, ulong confirmed, ILogger logger)
    {
        _session = session;
        _setup = setup;
        _logger = logger;
        _replication = replication;
        _types = types;
        _renderer = new PgOutputRenderer(mappings, setup, types);
        _captureSchema = captureSchema;
        _deadLetters = new DeadLetterWriter(captureSchema);
        _slotTags = [new(Observability.TelemetryNames.CaptureSchema, captureSchema), new("ablypg.replication_slot", setup.SlotName)];
        _position = new SlotPosition(confirmed);
    }

    /// <summary>The slot's lag behind the server's WAL in bytes, as last read (every few seconds).</summary>
    public long LagBytes { get; private set; }

    /// <summary>How long ago the oldest transaction not yet published committed; zero when none waits.</summary>
    public TimeSpan LagTime => _position.OldestPendingCommit is { } oldest ? DateTime.UtcNow - oldest : TimeSpan.Zero;

    /// <summary>The slot's name.</summary>
    public string SlotName => _setup.SlotName;

    KeyValuePair<string, object?>[] Observability.ISlotLagSource.Tags => _slotTags;

    long? Observability.ISlotLagSource.LagBytes => LagBytes;

    TimeSpan? Observability.ISlotLagSource.LagTime => LagTime;

    /// <summary>Opens the replication connection and starts streaming from the slot's confirmed position.</summary>
    public static async Task<LogicalCaptureSource> StartAsync(
        string connectionString, NpgsqlDataSource sessions, NpgsqlConnection session, LogicalSetup setup,
        IReadOnlyDictionary<(string Schema, string Table), ChangeMapping> mappings, string captureSchema, ILogger logger, CancellationToken cancellationToken)
    {
        var confirmed = await WaitForSlotAsync(session, setup.SlotName, logger, cancellationToken);
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            ApplicationName = "AblyPgTyped connector (replication)",
            Timezone = "UTC",
        };
        builder.Options = string.IsNullOrWhiteSpace(builder.Options) ? SessionOptions : builder.Options + " " + SessionOptions;
        var replication = new LogicalReplicationConnection(builder.ConnectionString) { WalReceiverStatusInterval = StatusInterval };
        try
        {
            await replication.Open(cancellationToken);
        }
        catch
        {
            await replication.DisposeAsync();
            throw;
        }

        var types = new PgTypeCatalog(ct => sessions.OpenConnectionAsync(ct).AsTask());
        var source = new LogicalCaptureSource(session, setup, replication, types, mappings, captureSchema, confirmed, logger);
        source._pump = Task.Run(() => source.PumpAsync(source._stop.Token), CancellationToken.None);
        source._keeper = Task.Run(() => source.KeepAsync(source._stop.Token), CancellationToken.None);
        LogMessages.ReplicationStarted(logger, setup.SlotName, new NpgsqlLogSequenceNumber(confirmed).ToString());
        return source;
    }

    public Task<IReadOnlyList<CapturedRow>> ReadAsync(int maxChanges, long maxBytes, CancellationToken cancellationToken)
    {
        var rows = new List<CapturedRow>();
        lock (_sync)
        {
            ThrowIfFailed();
            long changes = 0, bytes = 0;
            while (_visible > 0 && (rows.Count == 0 || (changes + _queue.Peek().Count <= maxChanges && bytes + _queue.Peek().Data.Length <= maxBytes)))
            {
                var row = _queue.Dequeue();
                _visible--;
                rows.Add(row);
                changes += row.Count;
                bytes += row.Data.Length;
            }

            if (rows.Count > 0)
            {
                _queuedChanges -= changes;
                _queuedBytes -= bytes;
                Signal(ref _space);
            }
        }

        return Task.FromResult<IReadOnlyList<CapturedRow>>(rows);
    }

    public async Task CompleteAsync(IReadOnlyList<long> rowIds, IReadOnlyList<(long RowId, List<int> Indexes)> finished, IReadOnlyList<DeadLetter> deadLetters, CancellationToken cancellationToken)
    {
        // The write-ahead log cannot be marked: the finished changes of a row still partly on its way are sent again, under
        // the same ids, if the connector restarts before the rest of the row is accepted; the slot confirms whole rows only.
        _ = finished;
        if (deadLetters.Count > 0)
        {
            await _deadLetters.WriteAsync(_session, deadLetters, cancellationToken);
        }

        if (_position.Complete(rowIds) is { } confirmed)
        {
            Confirm(confirmed);
            if (Stopwatch.GetElapsedTime(_lastStatus) >= PromptStatus && _streaming)
            {
                _lastStatus = Stopwatch.GetTimestamp();
                try
                {
                    await _replication.SendStatusUpdate(cancellationToken);
                }
                catch (InvalidOperationException)
                {
                    // The stream has just ended; the pump reports why.
                }
            }
        }

        await MaintainAsync(cancellationToken);
    }

    public async Task WaitForChangesAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        await MaintainAsync(cancellationToken);
        Task available;
        lock (_sync)
        {
            ThrowIfFailed();
            if (_visible > 0)
            {
                return;
            }

            available = _available.Task;
        }

        await Task.WhenAny(available, Task.Delay(timeout, cancellationToken));
        cancellationToken.ThrowIfCancellationRequested();
        lock (_sync)
        {
            ThrowIfFailed();
        }
    }

    /// <summary>Tells the server the confirmed position once more, then ends the stream.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_streaming && _failure is null)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _replication.SendStatusUpdate(timeout.Token);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The position was sent at least every StatusInterval; at worst, a little more is re-sent, with the same ids.
            }
        }

        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_pump, _keeper).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Stopping: the stream's own end is expected to throw.
        }

        try
        {
            await _replication.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Closing a connection that is going away anyway.
        }

        await _types.DisposeAsync();
        _stop.Dispose();
    }

    /// <summary>
    /// Waits until no other process holds the slot: a killed leader's walsender ends when PostgreSQL notices its
    /// connection is gone, usually at once. Only the leader gets here, so a holder that stays is a previous leader's,
    /// and it is ended. Returns the slot's confirmed position.
    /// </summary>
    private static async Task<ulong> WaitForSlotAsync(NpgsqlConnection session, string slotName, ILogger logger, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            int? holder;
            ulong confirmed;
            await using (var command = new NpgsqlCommand(
                "SELECT s.active_pid, coalesce(s.confirmed_flush_lsn, '0/0'::pg_lsn)::text FROM pg_catalog.pg_replication_slots s WHERE s.slot_name = $1", session))
            {
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = slotName });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                if (!await reader.ReadAsync(cancellationToken))
                {
                    throw new LogicalReplicationException(
                        $"Replication slot \"{slotName}\" does not exist (was it dropped while the connector was starting?): the connector creates it again when it restarts; " +
                        "changes made while it was missing are not captured.");
                }

                holder = reader.IsDBNull(0) ? null : reader.GetInt32(0);
                confirmed = (ulong)NpgsqlLogSequenceNumber.Parse(reader.GetString(1));
            }

            if (holder is null)
            {
                return confirmed;
            }

            if (waited.Elapsed > SlotReleaseWait)
            {
                LogMessages.SlotTakenOver(logger, slotName, holder.Value);
                await using var terminate = new NpgsqlCommand("SELECT pg_catalog.pg_terminate_backend($1)", session);
                terminate.Parameters.Add(new NpgsqlParameter<int> { TypedValue = holder.Value });
                try
                {
                    await terminate.ExecuteScalarAsync(cancellationToken);
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
                {
                    throw new LogicalReplicationException($"Replication slot \"{slotName}\" is in use by process {holder} and this role may not end it: {e.MessageText}", e);
                }

                waited.Restart();
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>Reads the stream into capture rows, as long as the drain keeps up.</summary>
    /// <remarks>
    /// The pgoutput messages (protocol version 1: Begin, Relation, Insert, Update, Delete, Commit; Type, Origin and
    /// Truncate are skipped) are parsed here from each XLogData payload, read whole: Npgsql's message objects read value
    /// by value, which cost several times the rendering. An insert into the capture store is a backfill's chunk
    /// (<see cref="StoreRelation"/>).
    /// </remarks>
    private async Task PumpAsync(CancellationToken stopping)
    {
        var slot = new PgOutputReplicationSlot(_setup.SlotName);

        // Protocol 1, text values, no streaming of uncommitted transactions: see the remarks on this class.
        KeyValuePair<string, string?>[] options =
        [
            new("proto_version", "1"),
            new("publication_names", "\"" + string.Join("\",\"", _setup.Publications) + "\""),
        ];
        var plans = new Dictionary<uint, RelationPlan>();
        var stores = new Dictionary<uint, StoreRelation>();
        var reader = new WireReader();
        var old = new RawTuple();
        var row = new RawTuple();
        var chunk = new CaptureChunk();
        ulong commitLsn = 0;
        var commitTime = DateTime.MinValue;
        var index = 0;
        try
        {
            _streaming = true;
            await foreach (var data in _replication.StartLogicalReplication(slot, stopping, options: options))
            {
                await reader.StartAsync(data.Data, data.Data.Length, stopping);
                await reader.EnsureAsync(1, stopping);
                switch ((char)reader.ReadByte())
                {
                    case 'B':
                        await reader.EnsureAsync(20, stopping);
                        commitLsn = (ulong)reader.ReadInt64();
                        commitTime = PostgresEpoch.AddTicks(reader.ReadInt64() * 10);
                        index = 0;
                        _position.Begin(commitTime);
                        break;
                    case 'R':
                        var relation = await ReadRelationAsync(reader, stopping);
                        if (StoreRelation.Of(relation, _captureSchema) is { } storeRelation)
                        {
                            stores[relation.RelationId] = storeRelation;
                        }
                        else
                        {
                            stores.Remove(relation.RelationId);
                        }

                        var (plan, warning) = await _renderer.PlanAsync(relation, stopping);
                        plans[relation.RelationId] = plan;
                        var table = CaptureSql.QualifiedName(plan.Schema, plan.Table);
                        if ((plan.Problem ?? plan.OldRowProblem) is { } problem)
                        {
                            LogMessages.RelationMismatch(_logger, table, problem);
                        }

                        if (warning is not null)
                        {
                            LogMessages.RelationChanged(_logger, table, warning);
                        }

                        break;
                    case 'I':
                        {
                            await reader.EnsureAsync(5, stopping);
                            var relationId = (uint)reader.ReadInt32();
                            reader.Advance(1); // 'N'
                            if (stores.TryGetValue(relationId, out var store))
                            {
                                // A whole chunk of a backfill, which may be larger than one row may be.
                                await row.ReadAsync(reader, int.MaxValue, stopping);
                                if (store.Read(row) is { } snapshot)
                                {
                                    await FlushAsync();
                                    await HandOnAsync(new CapturedRow(0, snapshot.Schema, snapshot.Table, 'S', snapshot.Count, new DateTimeOffset(commitTime, TimeSpan.Zero), snapshot.Data), index);
                                    index += snapshot.Count;
                                }

                                break;
                            }

                            var target = plans[relationId];
                            await row.ReadAsync(reader, CaptureSql.MaxRowBytes, stopping);
                            _renderer.RenderInsert(await NextAsync(target, 'I'), row, chunk.Data);
                            break;
                        }

                    case 'U':
                        {
                            await reader.EnsureAsync(5, stopping);
                            var target = plans[(uint)reader.ReadInt32()];
                            var kind = reader.ReadByte();
                            RawTuple? before = null;
                            if (kind is (byte)'K' or (byte)'O')
                            {
                                await old.ReadAsync(reader, CaptureSql.MaxRowBytes, stopping);
                                before = old;
                                await reader.EnsureAsync(1, stopping);
                                reader.Advance(1); // 'N'
                            }

                            await row.ReadAsync(reader, CaptureSql.MaxRowBytes, stopping);
                            _renderer.RenderUpdate(await NextAsync(target, 'U'), before, kind == (byte)'K', row, chunk.Data);
                            break;
                        }

                    case 'D':
                        {
                            await reader.EnsureAsync(5, stopping);
                            var target = plans[(uint)reader.ReadInt32()];
                            var kind = reader.ReadByte();
                            await old.ReadAsync(reader, CaptureSql.MaxRowBytes, stopping);
                            _renderer.RenderDelete(await NextAsync(target, 'D'), old, kind == (byte)'K', chunk.Data);
                            break;
                        }

                    case 'C':
                        await reader.EnsureAsync(25, stopping);
                        reader.Advance(9); // flags, commit LSN
                        var endLsn = (ulong)reader.ReadInt64();
                        await FlushAsync();
                        Reveal();
                        if (_position.Commit(endLsn) is { } confirmed)
                        {
                            Confirm(confirmed); // a transaction with nothing published
                        }

                        Interlocked.Exchange(ref _lastProgress, Stopwatch.GetTimestamp());
                        break;
                }
            }

            throw new LogicalReplicationException($"The server ended the replication stream of slot \"{_setup.SlotName}\".");
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Fail(Describe(e));
        }
        finally
        {
            _streaming = false;
        }

        // Starts the next change of the transaction in the chunk (a new chunk for another table or operation, or when full).
        async Task<RelationPlan> NextAsync(RelationPlan plan, char op)
        {
            if (chunk.Plan is not null && (chunk.Plan != plan || chunk.Op != op || chunk.Count >= CaptureSql.ChunkSize || chunk.Data.Length >= ChunkBytes))
            {
                await FlushAsync();
            }

            if (chunk.Plan is null)
            {
                chunk.Start(plan, op, index);
            }
            else
            {
                chunk.Data.Append((byte)',');
            }

            chunk.Count++;
            index++;
            return plan;
        }

        async Task FlushAsync()
        {
            if (chunk.Plan is not { } plan)
            {
                return;
            }

            chunk.Data.Append((byte)']');
            var captured = new CapturedRow(0, plan.Schema, plan.Table, chunk.Op, chunk.Count, new DateTimeOffset(commitTime, TimeSpan.Zero), chunk.Data.ToArray());
            chunk.Plan = null;
            await HandOnAsync(captured, chunk.FirstIndex);
        }

        // Numbers the row, places its changes at (commit LSN, index in the transaction), and queues it.
        async Task HandOnAsync(CapturedRow captured, int firstIndex)
        {
            captured = captured with
            {
                Id = Interlocked.Increment(ref _nextRowId),
                FirstPosition = new ChangePosition(unchecked((long)commitLsn), firstIndex),
            };
            _position.Add(captured.Id);
            await EnqueueAsync(captured, stopping);
        }
    }

    /// <summary>A Relation message: id, schema, name, replica identity, and per column its flags, name, type and modifier.</summary>
    private static async Task<RelationInfo> ReadRelationAsync(WireReader reader, CancellationToken cancellationToken)
    {
        await reader.EnsureAsync(4, cancellationToken);
        var id = (uint)reader.ReadInt32();
        var ns = await reader.ReadStringAsync(cancellationToken);
        var name = await reader.ReadStringAsync(cancellationToken);
        await reader.EnsureAsync(3, cancellationToken);
        var identity = (char)reader.ReadByte();
        var columns = new (string Name, uint TypeOid, bool IsKey)[reader.ReadInt16()];
        for (var i = 0; i < columns.Length; i++)
        {
            await reader.EnsureAsync(1, cancellationToken);
            var flags = reader.ReadByte();
            var column = await reader.ReadStringAsync(cancellationToken);
            await reader.EnsureAsync(8, cancellationToken);
            columns[i] = (column, (uint)reader.ReadInt32(), (flags & 1) != 0);
            reader.Advance(4); // type modifier
        }

        return new RelationInfo(id, ns, name, identity, columns);
    }

    /// <summary>Hands a row to the drain; waits while too much is waiting already (the stream then waits in the server).</summary>
    private async Task EnqueueAsync(CapturedRow row, CancellationToken stopping)
    {
        while (true)
        {
            Task space;
            lock (_sync)
            {
                if (_queuedChanges < MaxQueuedChanges && _queuedBytes < MaxQueuedBytes)
                {
                    _queue.Enqueue(row);
                    _queuedChanges += row.Count;
                    _queuedBytes += row.Data.Length;
                    return;
                }

                // A transaction larger than the queue: its rows go before its commit arrives (it has committed).
                RevealLocked();
                space = _space.Task;
            }

            await space.WaitAsync(stopping);
        }
    }

    /// <summary>
    /// Confirms a keepalive's position while nothing is pending, so that a quiet slot does not hold WAL. The stream's
    /// last position is read before looking at what is pending: everything received up to it was already handed over.
    /// </summary>
    private async Task KeepAsync(CancellationToken stopping)
    {
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                await Task.Delay(StatusInterval, stopping);
                var received = (ulong)_replication.LastReceivedLsn;
                if (_position.ConfirmIdle(received) is { } confirmed)
                {
                    Confirm(confirmed);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>Every few seconds, on the drain's thread (the session is free then): reads the slot's lag; writes a heartbeat if an idle slot lags.</summary>
    private async Task MaintainAsync(CancellationToken cancellationToken)
    {
        if (Stopwatch.GetElapsedTime(_lastMaintenance) < MaintenanceInterval)
        {
            return;
        }

        _lastMaintenance = Stopwatch.GetTimestamp();
        await using (var command = new NpgsqlCommand(
            "SELECT coalesce((pg_catalog.pg_current_wal_lsn() - s.confirmed_flush_lsn)::bigint, 0) FROM pg_catalog.pg_replication_slots s WHERE s.slot_name = $1", _session))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _setup.SlotName });
            LagBytes = await command.ExecuteScalarAsync(cancellationToken) is long lag ? lag : 0;
        }

        // PostgreSQL sends a keepalive once the slot has caught up with the WAL, which KeepAsync confirms; a heartbeat
        // in this database covers a server that stays silent.
        if (_heartbeats && _position.OldestPendingCommit is null && LagBytes > HeartbeatLagBytes && Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastProgress)) > HeartbeatAfter)
        {
            await using var heartbeat = new NpgsqlCommand("SELECT pg_catalog.pg_logical_emit_message(false, 'ablypg.heartbeat', '')", _session);
            try
            {
                await heartbeat.ExecuteNonQueryAsync(cancellationToken);
                LogMessages.Heartbeat(_logger, _setup.SlotName, LagBytes);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.ReadOnlySqlTransaction)
            {
                _heartbeats = false; // keepalives still advance the slot; a heartbeat is only a safety net
            }

            Interlocked.Exchange(ref _lastProgress, Stopwatch.GetTimestamp());
        }
    }

    /// <summary>
    /// Lets the drain read what is queued. Rows of a transaction become readable at its commit, so the drain sees a
    /// transaction's changes together, as it sees a statement's rows with triggers; a larger one goes as it fills the queue.
    /// </summary>
    private void Reveal()
    {
        lock (_sync)
        {
            RevealLocked();
        }
    }

    private void RevealLocked()
    {
        if (_visible < _queue.Count)
        {
            _visible = _queue.Count;
            Signal(ref _available);
        }
    }

    private void Confirm(ulong lsn) => _replication.SetReplicationStatus(new NpgsqlLogSequenceNumber(lsn));

    private void Fail(Exception e)
    {
        lock (_sync)
        {
            _failure ??= e;
            Signal(ref _available);
        }
    }

    private void ThrowIfFailed()
    {
        if (_failure is { } failure)
        {
            throw new LogicalReplicationException(failure.Message, failure);
        }
    }

    private static void Signal(ref TaskCompletionSource signal)
    {
        var current = signal;
        signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        current.TrySetResult();
    }

    /// <summary>The stream's failure, with what to do about it when the cause is known.</summary>
    private Exception Describe(Exception e)
    {
        var slot = _setup.SlotName;
        return e switch
        {
            PostgresException { SqlState: PostgresErrorCodes.UndefinedObject } pe when pe.MessageText.Contains("publication", StringComparison.Ordinal) =>
                new LogicalReplicationException(
                    $"The replication stream of slot \"{slot}\" failed: {pe.MessageText}. A publication of the capture schema was dropped while the slot " +
                    "still held changes made before; the slot cannot decode past them. Uninstall capture and start the connector again " +
                    "(changes not yet published are lost), or recreate the publication as it was.", e),
            PostgresException { SqlState: PostgresErrorCodes.UndefinedObject } pe =>
                new LogicalReplicationException(
                    $"Replication slot \"{slot}\" does not exist any more ({pe.MessageText}): the connector creates it again when it restarts; " +
                    "changes made while it was missing are not captured.", e),
            PostgresException { SqlState: PostgresErrorCodes.ObjectInUse } pe =>
                new LogicalReplicationException($"Replication slot \"{slot}\" is in use by another process ({pe.MessageText}); the connector retries.", e),
            PostgresException { SqlState: PostgresErrorCodes.ObjectNotInPrerequisiteState } pe =>
                new LogicalReplicationException(
                    $"Replication slot \"{slot}\" cannot stream: {pe.MessageText}. If it was invalidated (max_slot_wal_keep_size), the changes since its last " +
                    "confirmed position are lost: uninstall capture (or drop the slot) and start the connector again.", e),
            _ => e,
        };
    }
}
