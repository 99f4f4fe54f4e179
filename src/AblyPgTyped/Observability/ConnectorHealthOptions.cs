using System;
using AblyPgTyped.Publishing;

namespace AblyPgTyped;

/// <summary>The thresholds of <see cref="Connector.Health"/> and the hosted health check (<see cref="ConnectorOptions.Health"/>).</summary>
public sealed class ConnectorHealthOptions
{
    /// <summary>The active connector is Degraded while the store holds more changes than this. Default 100,000.</summary>
    public long BacklogDegradedAbove { get; set; } = 100_000;

    /// <summary>The active connector is Degraded while the oldest change in the store waits longer than this. Default 1 minute.</summary>
    public TimeSpan LagDegradedAbove { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long the database may be unreachable (or refuse the connector) before the connector is Unhealthy; it is
    /// Degraded meanwhile, as it reconnects. Default 10 s.
    /// </summary>
    public TimeSpan DatabaseUnreachableGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often the connector looks at its capture store (backlog, oldest change, size) for the health, the gauges, the
    /// growth warnings and the progress lines: one short query on a connection of its own, off the publishing path. Default 5 s.
    /// </summary>
    public TimeSpan StoreCheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Checks every setting.</summary>
    /// <exception cref="AblyConfigurationException">A setting is out of range; the message names it.</exception>
    public void Validate()
    {
        if (BacklogDegradedAbove <= 0)
        {
            throw new AblyConfigurationException($"Health.{nameof(BacklogDegradedAbove)} must be positive; it is {BacklogDegradedAbove}.");
        }

        Positive(LagDegradedAbove, nameof(LagDegradedAbove));
        Positive(DatabaseUnreachableGrace, nameof(DatabaseUnreachableGrace));
        Positive(StoreCheckInterval, nameof(StoreCheckInterval));
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new AblyConfigurationException($"Health.{name} must be positive; it is {value}.");
        }
    }
}
