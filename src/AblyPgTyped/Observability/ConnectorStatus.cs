using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Threading;

namespace AblyPgTyped.Observability;

/// <summary>
/// What one connector knows about itself, told by its loops as things happen (its role, the database, Ably, the store),
/// judged into a <see cref="ConnectorHealth"/> when asked, and read by the gauges. Thread-safe; every signal is cheap.
/// </summary>
internal sealed class ConnectorStatus
{
    /// <summary>How long a report that Ably's limits hold the stream back counts (they are re-checked every 5 s).</summary>
    private static readonly TimeSpan HeldBackFor = TimeSpan.FromSeconds(15);

    private readonly object _sync = new();
    private readonly ConnectorOptions _options;
    private bool _started;
    private ConnectorRole _role = ConnectorRole.Stopped;
    private StoreSnapshot? _store;
    private Failure? _session;
    private Failure? _storeProbe;
    private Failure? _ablyFailing;
    private string? _ablyRefused;
    private long _heldBackAt;
    private string? _heldBack;
    private long _published;
    private long _deadLettered;

    public ConnectorStatus(ConnectorOptions options, string? databaseName)
    {
        _options = options;
        CaptureSchema = options.CaptureSchema;
        StoreName = CaptureSql(options.CaptureSchema);
        Tags = [new(TelemetryNames.CaptureSchema, options.CaptureSchema), new(TelemetryNames.DatabaseName, databaseName)];
    }

    public string CaptureSchema { get; }

    /// <summary>The store's quoted name, for log lines.</summary>
    public string StoreName { get; }

    /// <summary>The tags of this connector's gauges.</summary>
    public KeyValuePair<string, object?>[] Tags { get; }

    public ConnectorRole Role
    {
        get
        {
            lock (_sync)
            {
                return _role;
            }
        }
    }

    /// <summary>The latest look at the store; null before the first.</summary>
    public StoreSnapshot? LatestStore => Volatile.Read(ref _store);

    /// <summary>Changes Ably accepted since start (their handlers may still be running).</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>Changes dead-lettered since start.</summary>
    public long DeadLettered => Interlocked.Read(ref _deadLettered);

    public void AddPublished(int changes) => Interlocked.Add(ref _published, changes);

    public void AddDeadLettered(int changes) => Interlocked.Add(ref _deadLettered, changes);

    public void Started(bool active) => Set(() =>
    {
        _started = true;
        _role = active ? ConnectorRole.Active : ConnectorRole.Standby;
        _session = null;
    });

    public void BecameActive() => Set(() =>
    {
        _role = ConnectorRole.Active;
        _session = null;
        ResetAbly();
    });

    /// <summary>The database answered, and another connector is active.</summary>
    public void StandingBy() => Set(() =>
    {
        _role = ConnectorRole.Standby;
        _session = null;
        ResetAbly();
    });

    public void Stopped() => Set(() => _role = ConnectorRole.Stopped);

    /// <summary>The session was lost or could not be had; the connector retries.</summary>
    public void SessionFailed(string reason) => Set(() =>
    {
        _role = ConnectorRole.Standby;
        _session = Failure.Since(_session, reason);
    });

    public void StoreChecked(StoreSnapshot snapshot) => Set(() =>
    {
        _store = snapshot;
        _storeProbe = null;
    });

    public void StoreCheckFailed(string reason) => Set(() => _storeProbe = Failure.Since(_storeProbe, reason));

    /// <summary>A publish request was answered with a result (whatever became of each channel in it).</summary>
    public void AblyAnswered()
    {
        // Called for every request: the lock is taken only to clear a failure.
        if (Volatile.Read(ref _ablyFailing) is null && Volatile.Read(ref _ablyRefused) is null)
        {
            return;
        }

        lock (_sync)
        {
            _ablyFailing = null;
            _ablyRefused = null;
        }
    }

    public void AblyFailing(string reason) => Set(() => _ablyFailing = Failure.Since(_ablyFailing, reason));

    public void AblyRefused(string reason) => Set(() => _ablyRefused = reason);

    /// <summary>Ably's account or channel limits hold the stream back (the scheduler re-checks every few seconds).</summary>
    public void HeldBack(string description) => Set(() =>
    {
        _heldBack = description;
        _heldBackAt = Stopwatch.GetTimestamp();
    });

    /// <summary>Judges the connector now.</summary>
    public ConnectorHealth Evaluate()
    {
        lock (_sync)
        {
            var unhealthy = new List<string>();
            var degraded = new List<string>();
            var store = _store;
            var health = _options.Health;
            if (_role == ConnectorRole.Stopped)
            {
                unhealthy.Add(_started ? "the connector is stopped" : "the connector is not started");
            }

            Judge(_session, "the database has been unreachable (or refused the connector) for {0}: {1}", "reconnecting to the database ({1})", unhealthy, degraded);
            Judge(_storeProbe, "the capture store could not be read for {0}: {1}", "the capture store could not be read just now ({1})", unhealthy, degraded);
            if (_role == ConnectorRole.Active)
            {
                if (_ablyRefused is { } refused)
                {
                    unhealthy.Add("Ably refuses the API key: " + refused);
                }
                else if (_ablyFailing is { } failing)
                {
                    degraded.Add($"Ably has accepted no publish request for {new HumanDuration(failing.Elapsed)}: {failing.Reason}");
                }

                if (_heldBack is { } heldBack && Stopwatch.GetElapsedTime(_heldBackAt) < HeldBackFor)
                {
                    degraded.Add(heldBack);
                }

                if (store is not null)
                {
                    JudgeStore(store, health, degraded);
                }
            }

            var status = unhealthy.Count > 0 ? ConnectorHealthStatus.Unhealthy : degraded.Count > 0 ? ConnectorHealthStatus.Degraded : ConnectorHealthStatus.Healthy;
            List<string> problems = [.. unhealthy, .. degraded];
            var description = problems.Count > 0
                ? char.ToUpperInvariant(problems[0][0]) + string.Join("; ", problems)[1..]
                : _role == ConnectorRole.Active
                    ? $"Active: publishing the changes of capture schema {CaptureSchema}"
                    : $"Standing by for capture schema {CaptureSchema}, its mappings checked";
            return new ConnectorHealth(status, _role, description, problems, store?.Changes, store?.OldestAge, store?.Bytes);
        }
    }

    private void JudgeStore(StoreSnapshot store, ConnectorHealthOptions health, List<string> degraded)
    {
        if (store.Changes > health.BacklogDegradedAbove)
        {
            degraded.Add(string.Create(CultureInfo.InvariantCulture,
                $"{(store.Exact ? "" : "about ")}{store.Changes:N0} changes wait in the capture store, more than Health.BacklogDegradedAbove ({health.BacklogDegradedAbove:N0})"));
        }

        if (store.OldestAge is { } age && age > health.LagDegradedAbove)
        {
            degraded.Add($"the oldest change in the capture store has waited {new HumanDuration(age)}, longer than Health.LagDegradedAbove ({new HumanDuration(health.LagDegradedAbove)})");
        }

        if (_options.StoreSizeWarningAbove is { } limit && store.Bytes > limit)
        {
            degraded.Add($"the capture store takes {new HumanBytes(store.Bytes.Value)}, more than StoreSizeWarningAbove ({new HumanBytes(limit)})");
        }
    }

    private void Judge(Failure? failure, string unhealthyText, string degradedText, List<string> unhealthy, List<string> degraded)
    {
        if (failure is null)
        {
            return;
        }

        var elapsed = failure.Elapsed;
        var text = string.Format(CultureInfo.InvariantCulture, elapsed >= _options.Health.DatabaseUnreachableGrace ? unhealthyText : degradedText, new HumanDuration(elapsed), failure.Reason);
        (elapsed >= _options.Health.DatabaseUnreachableGrace ? unhealthy : degraded).Add(text);
    }

    private void ResetAbly()
    {
        _ablyFailing = null;
        _ablyRefused = null;
        _heldBack = null;
    }

    private void Set(Action change)
    {
        lock (_sync)
        {
            change();
        }
    }

    private static string CaptureSql(string schema) => Capture.CaptureSql.QualifiedName(schema, Capture.CaptureSql.ChangesTable);

    /// <summary>A failure that has lasted since <see cref="Started"/>, with its latest reason.</summary>
    private sealed record Failure(long Started, string Reason)
    {
        public TimeSpan Elapsed => Stopwatch.GetElapsedTime(Started);

        public static Failure Since(Failure? current, string reason) => new(current?.Started ?? Stopwatch.GetTimestamp(), reason);
    }
}
