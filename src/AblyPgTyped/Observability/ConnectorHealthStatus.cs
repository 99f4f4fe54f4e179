namespace AblyPgTyped;

/// <summary>How well a connector is doing (see <see cref="Connector.Health"/>). The values are those of the <c>ablypg.connector.health</c> gauge.</summary>
public enum ConnectorHealthStatus
{
    /// <summary>Active and draining, or standing by with its mappings checked.</summary>
    Healthy = 0,

    /// <summary>Working, but behind: the backlog or the lag passed its threshold, the store keeps growing, Ably's limits hold it back, or Ably is failing for now.</summary>
    Degraded = 1,

    /// <summary>Not working: not started or stopped, the database has been unreachable for longer than the grace, or Ably refuses the API key.</summary>
    Unhealthy = 2,
}
