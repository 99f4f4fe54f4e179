using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Xunit;
using static AblyPgTyped.Tests.Connectors.DeliveryTests;

namespace AblyPgTyped.Tests.Hosting;

/// <summary>Hosting the .NET way: a data source from DI, named options checked at start, scoped typed handlers, several connectors.</summary>
[Collection(PostgresCollection.Name)]
public sealed class HostingOptionsTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_data_source_from_DI_with_a_password_provider_carries_the_connector_and_its_leader_session()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        var password = new NpgsqlConnectionStringBuilder(h.ConnectionString).Password;
        var withoutPassword = new NpgsqlConnectionStringBuilder(h.ConnectionString) { Password = null, ApplicationName = "app data source", KeepAlive = 1 };
        var provided = 0;
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(Section("Connector", h, connectionString: null));
        builder.Services.AddSingleton(_ => new NpgsqlDataSourceBuilder(withoutPassword.ConnectionString)
            .UsePeriodicPasswordProvider((_, _) => { Interlocked.Increment(ref provided); return ValueTask.FromResult(password ?? ""); }, TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(1))
            .Build());
        builder.Services.AddAblyPgConnector(builder.Configuration.GetSection("Connector"), options => options.Tables.Add(AblyPgTables.User));

        using var host = builder.Build();
        await host.StartAsync();
        await h.ExecuteAsync("""INSERT INTO users VALUES (1, 'via DI', NULL)""");
        await h.WaitForMessagesAsync(1);

        Assert.True(Volatile.Read(ref provided) > 0);
        Assert.Equal("app data source", await h.ScalarAsync<string>(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory' AND l.granted"));
        await host.StopAsync();

        // The leader's pooled connection gave its lock back, and the application's data source is still usable.
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"));
        var dataSource = host.Services.GetRequiredService<NpgsqlDataSource>();
        await using var connection = await dataSource.OpenConnectionAsync();
        Assert.Equal(System.Data.ConnectionState.Open, connection.State);
    }

    [Fact]
    public async Task A_misspelled_key_under_the_bound_section_fails_the_start_naming_the_key()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Orders:ConectionString"] = "Host=localhost",
            ["Orders:Ably:ApiKey"] = ConnectorHarness.ApiKey,
        });
        builder.Services.AddAblyPgConnector("orders", builder.Configuration.GetSection("Orders"), options => options.Tables.Add(AblyPgTables.User));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<AblyPgTyped.Publishing.AblyConfigurationException>(() => host.StartAsync());

        Assert.Contains("AblyPg connector 'orders'", error.Message, StringComparison.Ordinal);
        Assert.Contains("section 'Orders'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'ConectionString'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Named_options_are_validated_at_start_and_name_the_connector_and_the_setting()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Orders:ConnectionString"] = "Host=localhost",
            ["Orders:LeaseTimeout"] = "00:00:01",
            ["Orders:Ably:ApiKey"] = ConnectorHarness.ApiKey,
        });
        builder.Services.AddAblyPgConnector("orders", builder.Configuration.GetSection("Orders"), options => options.Tables.Add(AblyPgTables.User));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("AblyPg connector 'orders': LeaseTimeout must be at least 3 seconds", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_second_connector_of_the_same_name_is_an_error()
    {
        var services = new ServiceCollection();
        services.AddAblyPgConnector("orders", options => options.Tables.Add(AblyPgTables.User));

        var error = Assert.Throws<InvalidOperationException>(() => services.AddAblyPgConnector("orders", options => options.Tables.Add(AblyPgTables.User)));

        Assert.Contains("AblyPg connector 'orders' is already registered", error.Message, StringComparison.Ordinal);
        services.AddAblyPgConnector(options => options.Tables.Add(AblyPgTables.User));
        Assert.Throws<InvalidOperationException>(() => services.AddAblyPgConnector(options => options.Tables.Add(AblyPgTables.User)));
    }

    [Fact]
    public async Task A_scoped_typed_handler_gets_a_new_scope_for_each_change()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        var seen = new ConcurrentQueue<(string Name, ChangeKind Kind, Guid Scope)>();
        var disposed = new ConcurrentBag<Guid>();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(Section("Connector", h, h.ConnectionString));
        builder.Services.AddSingleton(seen).AddSingleton(disposed).AddScoped<ScopedUnitOfWork>();
        builder.Services.AddAblyPgConnector(builder.Configuration.GetSection("Connector"), options => options.Tables.Add(AblyPgTables.User))
            .AddChangeHandler<User, RecordingUserHandler>();

        using var host = builder.Build();
        await host.StartAsync();
        await h.ExecuteAsync("""INSERT INTO users VALUES (1, 'one', NULL)""");
        await h.ExecuteAsync("""INSERT INTO users VALUES (2, 'two', NULL)""");
        await h.ExecuteAsync("""UPDATE users SET "Name" = 'uno' WHERE "Id" = 1""");
        await Eventually(() => seen.Count == 3);
        await host.StopAsync();

        // Inserts go to "users", the update to "users:1": handlers run in acceptance order, which is per channel.
        Assert.Equal([("one", ChangeKind.Insert), ("two", ChangeKind.Insert)], seen.Where(s => s.Kind == ChangeKind.Insert).Select(s => (s.Name, s.Kind)).ToArray());
        Assert.Equal([("uno", ChangeKind.Update)], seen.Where(s => s.Kind == ChangeKind.Update).Select(s => (s.Name, s.Kind)).ToArray());
        Assert.Equal(3, seen.Select(s => s.Scope).Distinct().Count());
        Assert.Equal(seen.Select(s => s.Scope).OrderBy(g => g), disposed.OrderBy(g => g));
    }

    [Fact]
    public async Task Two_named_connectors_publish_their_own_databases()
    {
        await using var orders = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        await using var billing = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(Section("Orders", orders, orders.ConnectionString).Concat(Section("Billing", billing, connectionString: null)));
        // The billing connector takes the data source keyed by its name.
        builder.Services.AddKeyedSingleton("billing", (_, _) => NpgsqlDataSource.Create(billing.ConnectionString));
        builder.Services.AddAblyPgConnector("orders", builder.Configuration.GetSection("Orders"), options => options.Tables.Add(AblyPgTables.User));
        builder.Services.AddAblyPgConnector("billing", builder.Configuration.GetSection("Billing"), options => options.Tables.Add(AblyPgTables.User));

        using var host = builder.Build();
        await host.StartAsync();
        await orders.ExecuteAsync("""INSERT INTO users VALUES (1, 'order', NULL)""");
        await billing.ExecuteAsync("""INSERT INTO users VALUES (2, 'invoice', NULL)""");
        var toOrders = await orders.WaitForMessagesAsync(1);
        var toBilling = await billing.WaitForMessagesAsync(1);
        await host.StopAsync();

        Assert.Contains("order", toOrders.Single().DataJson, StringComparison.Ordinal);
        Assert.Contains("invoice", toBilling.Single().DataJson, StringComparison.Ordinal);
        Assert.NotSame(host.Services.GetRequiredKeyedService<Connector>("orders"), host.Services.GetRequiredKeyedService<Connector>("billing"));
    }

    private static Dictionary<string, string?> Section(string section, ConnectorHarness h, string? connectionString)
    {
        var values = new Dictionary<string, string?>
        {
            [section + ":MaxChangesPerMessage"] = "1",
            [section + ":Ably:ApiKey"] = ConnectorHarness.ApiKey,
            [section + ":Ably:RestHost"] = "127.0.0.1",
            [section + ":Ably:Port"] = h.Ably.Port.ToString(CultureInfo.InvariantCulture),
            [section + ":Ably:Tls"] = "false",
        };
        if (connectionString is not null)
        {
            values[section + ":ConnectionString"] = connectionString;
        }

        return values;
    }

    /// <summary>A scoped service, as a <c>DbContext</c> is.</summary>
    private sealed class ScopedUnitOfWork(ConcurrentBag<Guid> disposed) : IDisposable
    {
        public Guid Id { get; } = Guid.NewGuid();

        public void Dispose() => disposed.Add(Id);
    }

    private sealed class RecordingUserHandler(ScopedUnitOfWork unitOfWork, ConcurrentQueue<(string, ChangeKind, Guid)> seen) : IChangeHandler<User>
    {
        public Task HandleAsync(Change<User> change, CancellationToken cancellationToken)
        {
            seen.Enqueue((change.New!.Name, change.Kind, unitOfWork.Id));
            return Task.CompletedTask;
        }
    }
}
