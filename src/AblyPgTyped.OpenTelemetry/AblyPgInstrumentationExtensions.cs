using System;
using AblyPgTyped;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace OpenTelemetry;

/// <summary>Adds the AblyPgTyped connector's instrumentation to OpenTelemetry.</summary>
public static class AblyPgInstrumentationExtensions
{
    /// <summary>
    /// Collects the connector's metrics: the <c>AblyPgTyped</c> meter (publish requests and their duration, messages,
    /// changes read and published, retries, 429s, dead letters, lag, the store's backlog and size, leadership, health).
    /// </summary>
    /// <example><c>services.AddOpenTelemetry().WithMetrics(m => m.AddAblyPgInstrumentation().AddOtlpExporter());</c></example>
    public static MeterProviderBuilder AddAblyPgInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter(AblyPgTelemetry.MeterName);
    }

    /// <summary>Collects the connector's spans: one per publish request to Ably (the <c>AblyPgTyped</c> activity source).</summary>
    /// <example><c>services.AddOpenTelemetry().WithTracing(t => t.AddAblyPgInstrumentation().AddOtlpExporter());</c></example>
    public static TracerProviderBuilder AddAblyPgInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(AblyPgTelemetry.ActivitySourceName);
    }
}
