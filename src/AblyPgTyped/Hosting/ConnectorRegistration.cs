using System;
using System.Collections.Generic;

namespace AblyPgTyped.Hosting;

/// <summary>What one <c>AddAblyPgConnector</c> call registered under its name: the handlers to attach to its connector.</summary>
internal sealed class ConnectorRegistration(string name)
{
    public string Name { get; } = name;

    /// <summary>Attach handlers to the connector once it is created, with the root service provider.</summary>
    public List<Action<IServiceProvider, Connector, ConnectorOptions>> Handlers { get; } = [];
}
