using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Hosting;

namespace AblyPgTyped.Hosting;

/// <summary>Runs the registered <see cref="Connector"/> for the lifetime of the host.</summary>
internal sealed class ConnectorHostedService(Connector connector) : IHostedService
{
    /// <summary>Fails the host's start when the database or the mappings are wrong, with the connector's message.</summary>
    public Task StartAsync(CancellationToken cancellationToken) => connector.StartAsync(cancellationToken);

    /// <summary>
    /// Stops publishing: a cycle in flight either completes or is left whole (never half-recorded) for the next start.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken) => connector.StopAsync(cancellationToken);
}
