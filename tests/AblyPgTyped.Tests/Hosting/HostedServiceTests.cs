using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit;
using static AblyPgTyped.Tests.Connectors.DeliveryTests;

namespace AblyPgTyped.Tests.Hosting;

[Collection(PostgresCollection.Name)]
public sealed class HostedServiceTests(PostgresFixture postgres)
{
    [Fact]
    public async Task The_hosted_connector_is_bound_from_configuration_publishes_and_stops_with_the_host()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        var handled = new ConcurrentQueue<string>();
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AblyPg:ConnectionString"] = h.ConnectionString,
            ["AblyPg:Ably:ApiKey"] = ConnectorHarness.ApiKey,
            ["AblyPg:Ably:RestHost"] = "127.0.0.1",
            ["AblyPg:Ably:Port"] = h.Ably.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["AblyPg:Ably:Tls"] = "false",
        });
        builder.Logging.ClearProviders().AddProvider(new ForwardingProvider(h.Logs));
        builder.Services.AddSingleton(handled);
        builder.Services.AddAblyPgConnector(
            builder.Configuration.GetSection("AblyPg"),
            options => options.Tables.Add(AblyPgTables.User),
            (services, connector) => connector.On<User>(ChangeKind.Insert, (change, _) =>
            {
                services.GetRequiredService<ConcurrentQueue<string>>().Enqueue(change.New!.Name);
                return Task.CompletedTask;
            }));

        using var host = builder.Build();
        await host.StartAsync();
        var connector = host.Services.GetRequiredService<AblyPgTyped.Connector>();
        await h.ExecuteAsync("""INSERT INTO users VALUES (1, 'hosted', NULL)""");
        await h.WaitForMessagesAsync(1);
        await Eventually(() => handled.Contains("hosted"));
        await host.StopAsync();

        Assert.False(connector.IsActive);
        Assert.Contains(h.Logs.Entries, e => e.EventId == 1000);
        Assert.Contains(h.Logs.Entries, e => e.EventId == 1003);
        await h.ExecuteAsync("""INSERT INTO users VALUES (2, 'after stop', NULL)""");
        await Task.Delay(500);
        Assert.Equal(1, h.Ably.AcceptedMessageCount);
        Assert.Equal(1L, await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.changes"));
    }

    [Fact]
    public async Task A_host_whose_database_does_not_fit_fails_to_start_with_the_connector_message()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres);
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddAblyPgConnector(options =>
        {
            options.ConnectionString = h.ConnectionString;
            options.Ably.ApiKey = ConnectorHarness.ApiKey;
            options.Tables.Add(AblyPgTables.User);
        });
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<ConnectorStartException>(() => host.StartAsync());

        Assert.Contains("table \"public\".\"users\" (mapped by AblyPgTyped.Tests.User) does not exist", error.Message, StringComparison.Ordinal);
    }

    private sealed class ForwardingProvider(TestLoggerFactory logs) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => logs.CreateLogger(categoryName);

        public void Dispose()
        {
        }
    }
}
