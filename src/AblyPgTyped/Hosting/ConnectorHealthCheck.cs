using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AblyPgTyped.Hosting;

/// <summary>
/// The hosted connector's health check (registered by <c>AddAblyPgConnector</c> as <c>ablypg</c>, or <c>ablypg:NAME</c>
/// for a named connector, tagged <c>ablypg</c>): <see cref="Connector.Health"/>, as the host's health checks report it.
/// It queries nothing; the connector keeps its health current.
/// </summary>
internal sealed class ConnectorHealthCheck(Connector connector) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var health = connector.Health;
        var data = new Dictionary<string, object>
        {
            ["role"] = health.Role.ToString(),
        };
        if (health.Backlog is { } backlog)
        {
            data["backlog"] = backlog;
        }

        if (health.OldestChangeAge is { } age)
        {
            data["oldestChangeAgeSeconds"] = age.TotalSeconds;
        }

        if (health.StoreBytes is { } bytes)
        {
            data["storeBytes"] = bytes;
        }

        if (health.Problems.Count > 0)
        {
            data["problems"] = health.Problems;
        }

        var status = health.Status switch
        {
            ConnectorHealthStatus.Healthy => HealthStatus.Healthy,
            ConnectorHealthStatus.Degraded => HealthStatus.Degraded,
            _ => context.Registration?.FailureStatus ?? HealthStatus.Unhealthy,
        };
        return Task.FromResult(new HealthCheckResult(status, health.Description, data: data));
    }
}
