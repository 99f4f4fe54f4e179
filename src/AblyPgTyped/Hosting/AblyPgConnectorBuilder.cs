using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AblyPgTyped.Hosting;

/// <summary>
/// One connector registered by <c>AddAblyPgConnector</c>: adds its typed handlers, which are resolved in a new service
/// scope for each change.
/// </summary>
public sealed class AblyPgConnectorBuilder
{
    private readonly ConnectorRegistration _registration;

    internal AblyPgConnectorBuilder(IServiceCollection services, ConnectorRegistration registration)
    {
        Services = services;
        _registration = registration;
    }

    /// <summary>The connector's name: its named <see cref="ConnectorOptions"/> and its keyed <see cref="Connector"/> service. Empty for the default connector.</summary>
    public string Name => _registration.Name;

    /// <summary>The service collection the connector is registered in.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Calls <typeparamref name="THandler"/> for each change of <typeparamref name="T"/>'s table of the given
    /// <paramref name="kinds"/> (none given: every kind the table captures). <typeparamref name="THandler"/> is registered
    /// as a scoped service (unless it already is registered) and resolved in a new scope for each change.
    /// </summary>
    /// <exception cref="InvalidOperationException">(When the connector is created.) <typeparamref name="T"/> is not mapped, or does not capture a kind given.</exception>
    public AblyPgConnectorBuilder AddChangeHandler<T, THandler>(params ChangeKind[] kinds)
        where THandler : class, IChangeHandler<T>
    {
        ArgumentNullException.ThrowIfNull(kinds);
        Services.TryAddScoped<THandler>();
        var chosen = kinds.ToArray();
        _registration.Handlers.Add((provider, connector, options) =>
        {
            var table = options.Tables.FirstOrDefault(t => t.RowType == typeof(T))
                ?? throw new InvalidOperationException($"{typeof(T).Name} is not mapped by {Describe(Name)}: add its AblyPgTables entry to ConnectorOptions.Tables.");
            var scopes = provider.GetRequiredService<IServiceScopeFactory>();
            var handled = chosen.Length > 0 ? chosen : Enum.GetValues<ChangeKind>().Where(table.Captures).ToArray();
            foreach (var kind in handled)
            {
                connector.On<T>(kind, (change, cancellationToken) => HandleInScopeAsync<T, THandler>(scopes, change, cancellationToken));
            }
        });
        return this;
    }

    /// <summary>
    /// Calls <paramref name="handler"/> for each change of <paramref name="kind"/> to <typeparamref name="T"/>'s table,
    /// with the services of a new scope, one per change.
    /// </summary>
    public AblyPgConnectorBuilder On<T>(ChangeKind kind, Func<IServiceProvider, Change<T>, CancellationToken, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _registration.Handlers.Add((provider, connector, _) =>
        {
            var scopes = provider.GetRequiredService<IServiceScopeFactory>();
            connector.On<T>(kind, async (change, cancellationToken) =>
            {
                await using var scope = scopes.CreateAsyncScope();
                await handler(scope.ServiceProvider, change, cancellationToken);
            });
        });
        return this;
    }

    /// <summary>How messages name a connector: <c>AblyPg connector 'orders'</c>, or <c>AblyPg connector</c> for the default one.</summary>
    internal static string Describe(string name) => name.Length == 0 || name == Options.DefaultName ? "AblyPg connector" : "AblyPg connector '" + name + "'";

    private static async Task HandleInScopeAsync<T, THandler>(IServiceScopeFactory scopes, Change<T> change, CancellationToken cancellationToken)
        where THandler : class, IChangeHandler<T>
    {
        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<THandler>().HandleAsync(change, cancellationToken);
    }
}
