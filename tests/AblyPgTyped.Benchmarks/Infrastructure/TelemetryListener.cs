using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading;

namespace AblyPgTyped.Benchmarks.Infrastructure;

/// <summary>
/// What a metrics and tracing exporter costs the connector process: every AblyPgTyped instrument aggregated per tag set
/// as an SDK does (sums, histogram counts and sums), the gauges collected every second, and every publish span
/// recorded. Attached when the connector process is started with <see cref="Variable"/> set.
/// </summary>
internal sealed class TelemetryListener : IDisposable
{
    public const string Variable = "ABLYPG_BENCH_TELEMETRY";

    private readonly MeterListener _meters = new();
    private readonly ActivityListener _spans;
    private readonly ConcurrentDictionary<(string Instrument, string Tags), double[]> _series = new();
    private readonly Timer _collect;
    private long _spanCount;

    public TelemetryListener()
    {
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == AblyPgTelemetry.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meters.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _meters.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _meters.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _meters.Start();
        _spans = new ActivityListener
        {
            ShouldListenTo = source => source.Name == AblyPgTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _ => Interlocked.Increment(ref _spanCount),
        };
        ActivitySource.AddActivityListener(_spans);
        _collect = new Timer(_ => _meters.RecordObservableInstruments(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>A line for the report: how much was seen.</summary>
    public string Describe() => $"{_series.Count} series, {Interlocked.Read(ref _spanCount)} spans";

    public void Dispose()
    {
        _collect.Dispose();
        _meters.Dispose();
        _spans.Dispose();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<System.Collections.Generic.KeyValuePair<string, object?>> tags)
    {
        // An SDK finds the series of a tag set by its values; a joined key is a fair stand-in for that lookup.
        var key = string.Empty;
        foreach (var tag in tags)
        {
            key += tag.Key + "=" + tag.Value + ";";
        }

        var series = _series.GetOrAdd((instrument.Name, key), _ => new double[2]);
        lock (series)
        {
            series[0] += 1;
            series[1] += value;
        }
    }
}
