using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace AblyPgTyped.Observability;

/// <summary>
/// The instruments of the <c>AblyPgTyped</c> meter, created once per <see cref="Meter"/> and shared by every connector
/// that reports through it (each with its own tags). The gauges are read, when a listener collects, from the
/// connectors registered with <see cref="Observe"/>, so nothing is measured for them on the publishing path.
/// </summary>
internal sealed class ConnectorInstruments
{
    /// <summary>The meter of connectors created without an <see cref="IMeterFactory"/>.</summary>
    private static readonly Meter SharedMeter = new(AblyPgTelemetry.MeterName, Version);

    private static readonly ConditionalWeakTable<Meter, ConnectorInstruments> ByMeter = new();

    private readonly object _sync = new();
    private readonly Meter _meter;
    private ConnectorStatus[] _observed = [];
    private ISlotLagSource[] _slots = [];
    private bool _slotGauges;

    private ConnectorInstruments(Meter meter)
    {
        _meter = meter;
        OperationDuration = Histogram(meter, TelemetryNames.OperationDuration, "Duration of each batch publish request to Ably (its count is the number of requests)",
            [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30]);
        SentMessages = meter.CreateCounter<long>(TelemetryNames.SentMessages, "{message}", "Messages sent to Ably; error.type is set on those not accepted");
        ChangesRead = meter.CreateCounter<long>(TelemetryNames.ChangesRead, "{change}", "Captured changes read from the capture store");
        ChangesPublished = meter.CreateCounter<long>(TelemetryNames.ChangesPublished, "{change}", "Changes accepted by Ably");
        BundlesSent = meter.CreateCounter<long>(TelemetryNames.BundlesSent, "{bundle}", "Bundle messages (several changes in one message) sent to Ably; error.type is set on those not accepted");
        RateLimited = meter.CreateCounter<long>(TelemetryNames.RateLimited, "{response}", "Publish answers refused for Ably's rate limits (429)");
        Retries = meter.CreateCounter<long>(TelemetryNames.Retries, "{retry}", "Publish retries, by reason");
        DeadLetters = meter.CreateCounter<long>(TelemetryNames.DeadLetters, "{change}", "Changes dead-lettered, by reason");
        Lag = Histogram(meter, TelemetryNames.Lag, "Time from a change's capture (in the writing transaction) to its acceptance by Ably",
            [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600]);
        // The store's figures come from its active connector only, so that the standbys' do not add to them.
        meter.CreateObservableGauge(TelemetryNames.Backlog, () => Read(s => Store(s)?.Changes), "{change}", "Changes in the capture store, not yet accepted by Ably or dead-lettered");
        meter.CreateObservableGauge(TelemetryNames.OldestChangeAge, () => Read(s => Store(s) is { } store ? (store.OldestAge?.TotalSeconds ?? 0) : (double?)null), "s",
            "How long ago the oldest change in the capture store was captured (0 when it is empty)");
        meter.CreateObservableGauge(TelemetryNames.StoreSize, () => Read(s => Store(s)?.Bytes), "By", "The capture store's size on disk, with its indexes and TOAST");
        meter.CreateObservableGauge(TelemetryNames.Active, () => Read(s => s.Role == ConnectorRole.Stopped ? null : s.Role == ConnectorRole.Active ? 1 : (int?)0), "{connector}",
            "1 for the active connector of a capture schema, 0 for a standby");
        meter.CreateObservableGauge(TelemetryNames.Health, () => Read(s => (int?)s.Evaluate().Status), "1", "0 healthy, 1 degraded, 2 unhealthy");
    }

    public Histogram<double> OperationDuration { get; }

    public Counter<long> SentMessages { get; }

    public Counter<long> ChangesRead { get; }

    public Counter<long> ChangesPublished { get; }

    public Counter<long> BundlesSent { get; }

    public Counter<long> RateLimited { get; }

    public Counter<long> Retries { get; }

    public Counter<long> DeadLetters { get; }

    public Histogram<double> Lag { get; }

    private static string Version { get; } = typeof(ConnectorInstruments).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>The instruments of the factory's <c>AblyPgTyped</c> meter, or of the shared one without a factory.</summary>
    public static ConnectorInstruments For(IMeterFactory? factory)
    {
        var meter = factory?.Create(new MeterOptions(AblyPgTelemetry.MeterName) { Version = Version }) ?? SharedMeter;
        return ByMeter.GetValue(meter, m => new ConnectorInstruments(m));
    }

    /// <summary>Reports <paramref name="status"/> through the gauges until the result is disposed.</summary>
    public IDisposable Observe(ConnectorStatus status)
    {
        lock (_sync)
        {
            _observed = [.. _observed, status];
        }

        return new Registration(() =>
        {
            lock (_sync)
            {
                _observed = Array.FindAll(_observed, s => s != status);
            }
        });
    }

    /// <summary>Reports a replication slot's lag through two more gauges (created with the first source) until disposed.</summary>
    public IDisposable AddSlotLag(ISlotLagSource source)
    {
        lock (_sync)
        {
            if (!_slotGauges)
            {
                _slotGauges = true;
                _meter.CreateObservableGauge(TelemetryNames.SlotLag, () => ReadSlots(s => s.LagBytes), "By", "WAL bytes the replication slot has not confirmed");
                _meter.CreateObservableGauge(TelemetryNames.SlotLagTime, () => ReadSlots(s => s.LagTime?.TotalSeconds), "s", "How far behind the replication slot's confirmed position is");
            }

            _slots = [.. _slots, source];
        }

        return new Registration(() =>
        {
            lock (_sync)
            {
                _slots = Array.FindAll(_slots, s => s != source);
            }
        });
    }

    private static StoreSnapshot? Store(ConnectorStatus status) => status.Role == ConnectorRole.Active ? status.LatestStore : null;

    private IEnumerable<Measurement<T>> Read<T>(Func<ConnectorStatus, T?> value)
        where T : struct
    {
        foreach (var status in System.Threading.Volatile.Read(ref _observed))
        {
            if (value(status) is { } measured)
            {
                yield return new Measurement<T>(measured, status.Tags);
            }
        }
    }

    private IEnumerable<Measurement<T>> ReadSlots<T>(Func<ISlotLagSource, T?> value)
        where T : struct
    {
        foreach (var source in System.Threading.Volatile.Read(ref _slots))
        {
            if (value(source) is { } measured)
            {
                yield return new Measurement<T>(measured, source.Tags);
            }
        }
    }

    /// <summary>
    /// A histogram in seconds. Its bucket boundaries go with it from .NET 9 on (instrument advice: OpenTelemetry's
    /// defaults suit milliseconds); on .NET 8 configure a view with the same boundaries.
    /// </summary>
    private static Histogram<double> Histogram(Meter meter, string name, string description, double[] boundaries)
    {
#if NET9_0_OR_GREATER
        return meter.CreateHistogram(name, "s", description, tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = boundaries });
#else
        _ = boundaries;
        return meter.CreateHistogram<double>(name, "s", description);
#endif
    }

    private sealed class Registration(Action dispose) : IDisposable
    {
        private Action? _dispose = dispose;

        public void Dispose() => System.Threading.Interlocked.Exchange(ref _dispose, null)?.Invoke();
    }
}
