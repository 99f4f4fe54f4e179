using System;
using System.Diagnostics.Metrics;
using AblyPgTyped.Capture;
using Npgsql;

namespace AblyPgTyped.Observability;

/// <summary>
/// A connector's metrics and status together, as its loops report to them. Its gauges are observed from
/// <see cref="Observe"/> (at start) until disposed.
/// </summary>
internal sealed class ConnectorTelemetry : IDisposable
{
    private readonly ConnectorInstruments _instruments;
    private IDisposable? _observation;

    public ConnectorTelemetry(ConnectorOptions options, IMeterFactory? meterFactory)
    {
        var database = options.EffectiveConnectionString is { } connectionString ? new NpgsqlConnectionStringBuilder(connectionString).Database : null;
        Status = new ConnectorStatus(options, database);
        ServerAddress = options.Ably.EffectiveRestHost;
        _instruments = ConnectorInstruments.For(meterFactory);
        Metrics = new ConnectorMetrics(_instruments, Status, ServerAddress);
    }

    public ConnectorStatus Status { get; }

    public ConnectorMetrics Metrics { get; }

    /// <summary>The Ably host requests go to first (<c>server.address</c>).</summary>
    public string ServerAddress { get; }

    public string CaptureSchema => Status.CaptureSchema;

    public void Observe() => _observation ??= _instruments.Observe(Status);

    /// <summary>
    /// Reports a replication slot's lag through the connector's meter (<c>ablypg.replication_slot.lag</c> and
    /// <c>ablypg.replication_slot.lag_time</c>) until the result is disposed: the seam for a capture mode that reads one.
    /// </summary>
    public IDisposable AddSlotLag(ISlotLagSource source) => _instruments.AddSlotLag(source);

    public void DeadLettered(DeadLetter deadLetter)
    {
        Metrics.DeadLettered(deadLetter.Cause);
        Status.AddDeadLettered(1);
    }

    public void Dispose() => _observation?.Dispose();
}
