using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;

namespace AblyPgTyped.Tests.Observability;

/// <summary>
/// Every measurement of the AblyPgTyped instruments of one <see cref="IMeterFactory"/>'s meter, through a real
/// <see cref="MeterListener"/>, with its tags; gauges are read on <see cref="Collect"/>.
/// </summary>
internal sealed class MetricCapture : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<Measured> _measured = new();

    public MetricCapture(IMeterFactory scope)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == AblyPgTelemetry.MeterName && instrument.Meter.Scope == scope)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Add(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
        _listener.Start();
    }

    public IReadOnlyList<Measured> All => [.. _measured];

    /// <summary>The measurements of one instrument whose tags include every (key, value) given.</summary>
    public IReadOnlyList<Measured> Of(string instrument, params (string Key, object? Value)[] tags) =>
        [.. _measured.Where(m => m.Instrument == instrument && tags.All(t => m.Tags.TryGetValue(t.Key, out var v) && Equals(v, t.Value)))];

    public double Sum(string instrument, params (string Key, object? Value)[] tags) => Of(instrument, tags).Sum(m => m.Value);

    /// <summary>Reads the gauges now and returns their values, by instrument.</summary>
    public IReadOnlyDictionary<string, Measured> Collect()
    {
        var before = _measured.Count;
        _listener.RecordObservableInstruments();
        return All.Skip(before).GroupBy(m => m.Instrument).ToDictionary(g => g.Key, g => g.Last());
    }

    public void Dispose() => _listener.Dispose();

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }

        _measured.Enqueue(new Measured(instrument.Name, instrument.Unit, value, copy));
    }

    internal sealed record Measured(string Instrument, string? Unit, double Value, IReadOnlyDictionary<string, object?> Tags);
}
