using System.Collections.Generic;
using System.Diagnostics.Metrics;

namespace AblyPgTyped.Capture.Logical;

/// <summary>
/// The replication slot's lag, for <c>System.Diagnostics.Metrics</c> listeners (OpenTelemetry, dotnet-counters) on the
/// meter <c>AblyPgTyped</c>: <c>ablypg.replication_slot.lag</c> (bytes of WAL the slot has not confirmed) and
/// <c>ablypg.replication_slot.lag_time</c> (seconds since the oldest unpublished transaction committed), tagged with the slot.
/// </summary>
internal static class SlotMetrics
{
    private static readonly Meter Meter = new("AblyPgTyped");
    private static readonly List<LogicalCaptureSource> Sources = [];

    static SlotMetrics()
    {
        Meter.CreateObservableGauge("ablypg.replication_slot.lag", () => Measure(s => s.LagBytes), "By", "WAL the replication slot has not confirmed yet");
        Meter.CreateObservableGauge("ablypg.replication_slot.lag_time", () => Measure(s => s.LagTime.TotalSeconds), "s", "Time since the oldest unpublished transaction committed");
    }

    public static void Register(LogicalCaptureSource source)
    {
        lock (Sources)
        {
            Sources.Add(source);
        }
    }

    public static void Unregister(LogicalCaptureSource source)
    {
        lock (Sources)
        {
            Sources.Remove(source);
        }
    }

    private static List<Measurement<T>> Measure<T>(System.Func<LogicalCaptureSource, T> value)
        where T : struct
    {
        lock (Sources)
        {
            return Sources.ConvertAll(s => new Measurement<T>(value(s), new KeyValuePair<string, object?>("slot", s.SlotName)));
        }
    }
}
