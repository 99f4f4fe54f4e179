using System;
using AblyPgTyped;
using AblyPgTyped.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the AblyPgTyped connector as a hosted service.</summary>
public static class AblyPgServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="Connector"/>, bound from <paramref name="configuration"/> (for example the section
    /// <c>AblyPg</c> of appsettings.json or environment variables such as <c>AblyPg__Ably__ApiKey</c>), logging
    /// through the host's <see cref="ILoggerFactory"/> and running as a hosted service that stops cleanly on shutdown.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section holding <see cref="ConnectorOptions"/>.</param>
    /// <param name="configure">Adds the mapped tables (e.g. <c>AblyPgTables.All</c>) and adjusts options.</param>
    /// <param name="handlers">Registers typed handlers, with access to the application's services.</param>
    /// <example>
    /// <code>
    /// builder.Services.AddAblyPgConnector(
    ///     builder.Configuration.GetSection("AblyPg"),
    ///     options => { foreach (var t in AblyPgTables.All) options.Tables.Add(t); },
    ///     (services, connector) => connector.On&lt;User&gt;(ChangeKind.Insert, (change, ct) => …));
    /// </code>
    /// </example>
    public static IServiceCollection AddAblyPgConnector(
        this IServiceCollection services,
        IConfiguration configuration,
        Action<ConnectorOptions>? configure = null,
        Action<IServiceProvider, Connector>? handlers = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddAblyPgConnector(options =>
        {
            configuration.Bind(options);
            configure?.Invoke(options);
        }, handlers);
    }

    /// <summary>Registers a <see cref="Connector"/> configured in code, running as a hosted service.</summary>
    public static IServiceCollection AddAblyPgConnector(
        this IServiceCollection services,
        Action<ConnectorOptions> configure,
        Action<IServiceProvider, Connector>? handlers = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        // The options are a service of their own, so tools (printing the DDL, say) can use them without a connector.
        services.TryAddSingleton(_ =>
        {
            var options = new ConnectorOptions();
            configure(options);
            return options;
        });
        services.TryAddSingleton(provider =>
        {
            var connector = new Connector(provider.GetRequiredService<ConnectorOptions>(), provider.GetService<ILoggerFactory>());
            handlers?.Invoke(provider, connector);
            return connector;
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ConnectorHostedService>());
        return services;
    }
}
