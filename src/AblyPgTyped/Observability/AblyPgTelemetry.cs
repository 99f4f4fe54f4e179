namespace AblyPgTyped;

/// <summary>
/// The names under which the connector reports its metrics and traces, for an OpenTelemetry set-up that does not use
/// the <c>AblyPgTyped.OpenTelemetry</c> package: <c>builder.AddMeter(AblyPgTelemetry.MeterName)</c> and
/// <c>builder.AddSource(AblyPgTelemetry.ActivitySourceName)</c>. The README lists every instrument.
/// </summary>
public static class AblyPgTelemetry
{
    /// <summary>The <see cref="System.Diagnostics.Metrics.Meter"/> of every connector instrument.</summary>
    public const string MeterName = "AblyPgTyped";

    /// <summary>The <see cref="System.Diagnostics.ActivitySource"/> of the publish spans.</summary>
    public const string ActivitySourceName = "AblyPgTyped";
}
