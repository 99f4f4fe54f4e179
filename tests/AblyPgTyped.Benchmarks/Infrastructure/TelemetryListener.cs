using System;
using System.Collections.Generic;
using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace AblyPgTyped.Benchmarks.Infrastructure;

/// <summary>
/// What observing the connector costs its process: OpenTelemetry's SDK with <c>AddAblyPgInstrumentation()</c>, every
/// instrument aggregated and exported (in memory) every second, and every publish span sampled and exported. Attached
/// when the connector process is started with <see cref="Variable"/> set.
/// </summary>
internal sealed class TelemetryListener : IDisposable
{
    public const string Variable = "ABLYPG_BENCH_TELEMETRY";

    private readonly List<Metric> _metrics = [];
    private readonly List<Activity> _spans = [];
    private readonly MeterProvider _meterProvider;
    private readonly TracerProvider _tracerProvider;

    public TelemetryListener()
    {
        _meterProvider = Sdk.CreateMeterProviderBuilder()
            .AddAblyPgInstrumentation()
            .AddInMemoryExporter(_metrics, o => o.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 1000)
            .Build();
        _tracerProvider = Sdk.CreateTracerProviderBuilder()
            .AddAblyPgInstrumentation()
            .SetSampler(new AlwaysOnSampler())
            .AddInMemoryExporter(_spans)
            .Build();
    }

    /// <summary>A line for the report: how much was exported.</summary>
    public string Describe()
    {
        _meterProvider.ForceFlush();
        lock (_spans)
        {
            return $"{_metrics.Count} metric exports, {_spans.Count} spans";
        }
    }

    public void Dispose()
    {
        _meterProvider.Dispose();
        _tracerProvider.Dispose();
    }
}
