using System;
using System.Diagnostics.Metrics;
using System.Linq;
using AblyPgTyped;
using AblyPgTyped.Hosting;
using AblyPgTyped.Publishing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers AblyPgTyped connectors as hosted services.</summary>
public static class AblyPgServiceCollectionExtensions
{
    /// <summary>
    /// Registers the default <see cref="Connector"/>, its options bound from <paramref name="configuration"/> (for example
    /// the section <c>AblyPg</c> of appsettings.json or environment variables such as <c>AblyPg__Ably__ApiKey</c>) through
    /// <see cref="IOptions{TOptions}"/>, checked when the host starts (a key under the section that is no setting fails the
    /// start, naming the key), logging through the host's <see cref="ILoggerFactory"/> and running as a hosted service
    /// that stops cleanly on shutdown, with its metrics through the host's <see cref="IMeterFactory"/> and its health
    /// check (<c>ablypg</c>, tagged <see cref="HealthCheckTag"/>) among the host's health checks. A registered
    /// <see cref="NpgsqlDataSource"/> is used when the options set no connection string.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section holding <see cref="ConnectorOptions"/>.</param>
    /// <param name="configure">Adds the mapped tables (e.g. <c>AblyPgTables.All</c>) and adjusts options.</param>
    /// <param name="handlers">Registers handlers, with access to the application's (root) services.</param>
    /// <example>
    /// <code>
    /// builder.Services.AddAblyPgConnector(
    ///         builder.Configuration.GetSection("AblyPg"),
    ///         options => { foreach (var t in AblyPgTables.All) options.Tables.Add(t); })
    ///     .AddChangeHandler&lt;Order, OrderHandler&gt;();
    /// </code>
    /// </example>
    /// <exception cref="InvalidOperationException">The default connector is already registered.</exception>
    public static AblyPgConnectorBuilder AddAblyPgConnector(
        this IServiceCollection services,
        IConfiguration configuration,
        Action<ConnectorOptions>? configure = null,
        Action<IServiceProvider, Connector>? handlers = null) =>
        services.AddAblyPgConnector(Options.Options.DefaultName, configuration, configure, handlers);

    /// <summary>Registers the default <see cref="Connector"/>, configured in code, running as a hosted service.</summary>
    /// <exception cref="InvalidOperationException">The default connector is already registered.</exception>
    public static AblyPgConnectorBuilder AddAblyPgConnector(
        this IServiceCollection services,
        Action<ConnectorOptions> configure,
        Action<IServiceProvider, Connector>? handlers = null) =>
        services.AddAblyPgConnector(Options.Options.DefaultName, configure, handlers);

    /// <summary>
    /// Registers a connector named <paramref name="name"/> (several connectors in one host, one per database): its
    /// options are the named <see cref="ConnectorOptions"/> <paramref name="name"/>, bound from
    /// <paramref name="configuration"/> and checked at start; the connector is the keyed service
    /// <c>GetRequiredKeyedService&lt;Connector&gt;(name)</c>; it connects through the <see cref="NpgsqlDataSource"/>
    /// keyed by <paramref name="name"/> when one is registered.
    /// </summary>
    /// <exception cref="InvalidOperationException">A connector of that name is already registered.</exception>
    public static AblyPgConnectorBuilder AddAblyPgConnector(
        this IServiceCollection services,
        string name,
        IConfiguration configuration,
        Action<ConnectorOptions>? configure = null,
        Action<IServiceProvider, Connector>? handlers = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var builder = services.Register(name, handlers);
        services.AddOptions<ConnectorOptions>(name).Configure(options => Bind(configuration, options, name));
        if (configure is not null)
        {
            services.Configure(name, configure);
        }

        return builder;
    }

    /// <summary>Registers a connector named <paramref name="name"/>, configured in code, running as a hosted service.</summary>
    /// <exception cref="InvalidOperationException">A connector of that name is already registered.</exception>
    public static AblyPgConnectorBuilder AddAblyPgConnector(
        this IServiceCollection services,
        string name,
        Action<ConnectorOptions> configure,
        Action<IServiceProvider, Connector>? handlers = null)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var builder = services.Register(name, handlers);
        services.Configure(name, configure);
        return builder;
    }

    private static AblyPgConnectorBuilder Register(this IServiceCollection services, string name, Action<IServiceProvider, Connector>? handlers)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(name);
        if (services.Any(d => d.ServiceType == typeof(ConnectorRegistration) && d.ImplementationInstance is ConnectorRegistration r && r.Name == name))
        {
            throw new InvalidOperationException(
                $"{AblyPgConnectorBuilder.Describe(name)} is already registered: give each connector (one per database) its own name, AddAblyPgConnector(\"name\", …).");
        }

        var registration = new ConnectorRegistration(name);
        if (handlers is not null)
        {
            registration.Handlers.Add((provider, connector, _) => handlers(provider, connector));
        }

        services.AddSingleton(registration);
        services.AddOptions<ConnectorOptions>(name)
            .PostConfigure<IServiceProvider>((options, provider) => options.DataSource ??= RegisteredDataSource(provider, name, options))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ConnectorOptions>>(new ConnectorOptionsValidator(name));
        services.AddKeyedSingleton(name, (provider, _) =>
        {
            var options = provider.GetRequiredService<IOptionsMonitor<ConnectorOptions>>().Get(name);
            var connector = new Connector(options, provider.GetService<ILoggerFactory>(), provider.GetService<IMeterFactory>());
            foreach (var attach in registration.Handlers)
            {
                attach(provider, connector, options);
            }

            return connector;
        });
        if (name == Options.Options.DefaultName)
        {
            // The default connector and its options are plain services too, so tools (printing the DDL, say) can use them.
            services.AddSingleton(provider => provider.GetRequiredKeyedService<Connector>(name));
            services.AddSingleton(provider => provider.GetRequiredService<IOptionsMonitor<ConnectorOptions>>().Get(name));
        }

        services.AddSingleton<IHostedService>(provider => new ConnectorHostedService(provider.GetRequiredKeyedService<Connector>(name)));
        services.AddHealthChecks().Add(new HealthCheckRegistration(
            HealthCheckName(name), provider => new ConnectorHealthCheck(provider.GetRequiredKeyedService<Connector>(name)), failureStatus: null, tags: [HealthCheckTag]));
        return new AblyPgConnectorBuilder(services, registration);
    }

    /// <summary>The tag of every connector's health check, for <c>MapHealthChecks(…, new() { Predicate = c => c.Tags.Contains("ablypg") })</c>.</summary>
    public const string HealthCheckTag = "ablypg";

    /// <summary>The name of a connector's health check: <c>ablypg</c> for the default connector, <c>ablypg:NAME</c> for a named one.</summary>
    internal static string HealthCheckName(string name) => name.Length == 0 || name == Options.Options.DefaultName ? HealthCheckTag : HealthCheckTag + ":" + name;

    /// <summary>A data source keyed by the connector's name wins; an unkeyed one is used when the options set no connection string.</summary>
    private static NpgsqlDataSource? RegisteredDataSource(IServiceProvider provider, string name, ConnectorOptions options)
    {
        if (provider is IKeyedServiceProvider keyed && name.Length > 0 && keyed.GetKeyedService<NpgsqlDataSource>(name) is { } named)
        {
            return named;
        }

        return string.IsNullOrWhiteSpace(options.ConnectionString) ? provider.GetService<NpgsqlDataSource>() : null;
    }

    /// <summary>Binds the section; a key that is no setting (a misspelling) is an error that names it.</summary>
    private static void Bind(IConfiguration configuration, ConnectorOptions options, string name)
    {
        try
        {
            configuration.Bind(options, binder => binder.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException e)
        {
            var section = configuration is IConfigurationSection s ? "section '" + s.Path + "'" : "configuration";
            throw new AblyConfigurationException($"{AblyPgConnectorBuilder.Describe(name)}: the {section} holds a key that is not a setting. {e.Message}", e);
        }
    }
}
