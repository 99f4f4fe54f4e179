using System;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.LocalAbly;
using AblyPgTyped.LocalPostgres;
using AblyPgTyped.Observability;
using AblyPgTyped.Publishing;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Xunit;
using static AblyPgTyped.Tests.Connectors.DeliveryTests;

namespace AblyPgTyped.Tests.Observability;

/// <summary>Connector.Health and the hosted health check, as the endpoint and the database go away and come back.</summary>
[Collection(PostgresCollection.Name)]
public sealed class HealthTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Health_is_degraded_without_ably_unhealthy_without_the_database_past_the_grace_and_healthy_again_when_both_return()
    {
        // A cluster and an endpoint of this test's own, both stopped and started again on the same ports.
        await using var cluster = await LocalPostgresCluster.StartAsync();
        var connectionString = await cluster.CreateDatabaseAsync();
        await using (var setup = new NpgsqlConnection(connectionString))
        {
            await setup.OpenAsync();
            await using var create = new NpgsqlCommand(Schemas.Users, setup);
            await create.ExecuteNonQueryAsync();
        }

        var ably = await LocalAblyServer.StartAsync(new LocalAblyOptions { ApiKeys = { ConnectorHarness.ApiKey } });
        var port = ably.Port;
        var logs = new TimedLogs();
        var options = new ConnectorOptions
        {
            ConnectionString = connectionString,
            Ably = { ApiKey = ConnectorHarness.ApiKey, RestHost = "127.0.0.1", Port = port, Tls = false, MaxRetryDuration = TimeSpan.FromSeconds(2) },
            MaxRetryDelay = TimeSpan.FromMilliseconds(500),
            MaxChangesPerMessage = 1,
            Health = { BacklogDegradedAbove = 20, DatabaseUnreachableGrace = TimeSpan.FromSeconds(2), StoreCheckInterval = TimeSpan.FromMilliseconds(200) },
        };
        options.Tables.Add(AblyPgTables.User);
        await using var connector = new Connector(options, logs);
        Assert.Equal((ConnectorHealthStatus.Unhealthy, ConnectorRole.Stopped, "The connector is not started"), (connector.Health.Status, connector.Health.Role, connector.Health.Description));

        try
        {
            await connector.StartAsync();
            await Eventually(() => connector.Health is { Status: ConnectorHealthStatus.Healthy, Backlog: 0 });
            Assert.Equal((ConnectorRole.Active, "Active: publishing the changes of capture schema ablypg"), (connector.Health.Role, connector.Health.Description));

            // The endpoint goes away and changes pile up: degraded, for both reasons.
            await ably.DisposeAsync();
            await using (var writer = NpgsqlDataSource.Create(connectionString))
            {
                await writer.CreateCommand("""INSERT INTO users SELECT g, 'u' || g, NULL FROM generate_series(1, 30) g""").ExecuteNonQueryAsync();
            }

            await Eventually(() => connector.Health is { Status: ConnectorHealthStatus.Degraded, Backlog: 30, Problems.Count: 2 });
            var degraded = connector.Health;
            Assert.StartsWith("Ably has accepted no publish request for ", degraded.Problems[0], StringComparison.Ordinal);
            Assert.Equal("30 changes wait in the capture store, more than Health.BacklogDegradedAbove (20)", degraded.Problems[1]);
            Assert.InRange(degraded.OldestChangeAge!.Value, TimeSpan.Zero, TimeSpan.FromSeconds(30));

            // The database goes away too: degraded while the connector reconnects, unhealthy once the grace is over.
            var stopped = Stopwatch.StartNew();
            await cluster.StopAsync();
            await Eventually(() => connector.Health.Problems.Any(p => p.Contains("database", StringComparison.Ordinal)), seconds: 10);
            Assert.Equal(ConnectorHealthStatus.Degraded, connector.Health.Status);
            await Eventually(() => connector.Health.Status == ConnectorHealthStatus.Unhealthy, seconds: 20);
            Assert.True(stopped.Elapsed >= options.Health.DatabaseUnreachableGrace, $"unhealthy after {stopped.Elapsed}, within the grace");
            var unhealthy = connector.Health;
            Assert.Contains(unhealthy.Problems, p => p.StartsWith("the database has been unreachable (or refused the connector) for ", StringComparison.Ordinal));
            Assert.StartsWith("The database has been unreachable", unhealthy.Description, StringComparison.Ordinal);
            Assert.Equal(ConnectorRole.Standby, unhealthy.Role);
            await Task.Delay(TimeSpan.FromSeconds(2)); // several reconnection attempts
            Assert.Single(logs.Of(1002));
            Assert.True(logs.Of(1006).Count >= 2, $"{logs.Of(1006).Count} retries logged at debug");

            // Both come back: healthy, with every change published.
            ably = await LocalAblyServer.StartAsync(new LocalAblyOptions { Port = port, ApiKeys = { ConnectorHarness.ApiKey } });
            await cluster.StartAgainAsync();
            await Eventually(() => connector.Health is { Status: ConnectorHealthStatus.Healthy, Role: ConnectorRole.Active, Backlog: 0 }, seconds: 60);
            var messages = await ably.WaitForMessagesAsync(30, TimeSpan.FromSeconds(30));
            Assert.Equal(Enumerable.Range(1, 30), messages.Select(m => AblyPgTables.User.ReadChanges(m.DataString!).Single().New!.Id).Order());
            var reconnected = Assert.Single(logs.Of(1005));
            Assert.Matches(@"^Connector reached the database again after \d+ failed attempt\(s\) over " + BacklogProgressTests.Duration + "$", reconnected.Text);
        }
        finally
        {
            await connector.DisposeAsync();
            await ably.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_hosted_health_check_reports_a_refused_api_key_as_unhealthy_with_one_log_line_until_ably_accepts_it()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        var logs = new TimedLogs();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders().AddProvider(logs);
        builder.Services.AddAblyPgConnector(options =>
        {
            var harness = h.Options(AblyPgTables.User);
            options.ConnectionString = harness.ConnectionString;
            options.Ably = harness.Ably;
            options.MaxRetryDelay = harness.MaxRetryDelay;
            options.MaxChangesPerMessage = 1;
            options.Tables.Add(AblyPgTables.User);
        });
        using var host = builder.Build();
        using var metrics = new MetricCapture(host.Services.GetRequiredService<IMeterFactory>());
        var checks = host.Services.GetRequiredService<HealthCheckService>();
        await host.StartAsync();

        var healthy = (await checks.CheckHealthAsync()).Entries["ablypg"];
        Assert.Equal(HealthStatus.Healthy, healthy.Status);
        Assert.Equal("Active", healthy.Data["role"]);
        Assert.Contains("ablypg", healthy.Tags);

        h.Ably.Faults.FailAll(statusCode: 401, errorCode: 40101, message: "Invalid credentials");
        await h.ExecuteAsync("""INSERT INTO users VALUES (1, 'refused', NULL)""");
        await Eventually(async () => (await checks.CheckHealthAsync()).Entries["ablypg"].Status == HealthStatus.Unhealthy);
        var refused = (await checks.CheckHealthAsync()).Entries["ablypg"];
        Assert.Equal("Ably refuses the API key: 40101 (HTTP 401): Invalid credentials", refused.Description);
        await Task.Delay(TimeSpan.FromSeconds(3)); // retried every second or so
        Assert.True(metrics.Sum(TelemetryNames.Retries, (TelemetryNames.RetryReason, "unauthorized")) >= 2);
        Assert.Single(logs.Of(1202));
        Assert.DoesNotContain(ConnectorHarness.ApiKey.Split(':')[1], string.Join('\n', logs.Entries.Select(e => e.Text)), StringComparison.Ordinal);

        h.Ably.Faults.Clear();
        await Eventually(async () => (await checks.CheckHealthAsync()).Entries["ablypg"].Status == HealthStatus.Healthy);
        await h.WaitForMessagesAsync(1);
        var recovered = Assert.Single(logs.Of(1203));
        Assert.Matches(@"^Ably accepts publish requests again, after \d+ failed attempt\(s\) over " + BacklogProgressTests.Duration + "$", recovered.Text);

        await host.StopAsync();
        var stopped = (await checks.CheckHealthAsync()).Entries["ablypg"];
        Assert.Equal((HealthStatus.Unhealthy, "The connector is stopped"), (stopped.Status, stopped.Description));
    }

    [Fact]
    public async Task A_standby_is_healthy_and_reports_no_store_problems_of_the_active_connector()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        var options = h.Options(AblyPgTables.User);
        options.Health.BacklogDegradedAbove = 5;
        options.Health.StoreCheckInterval = TimeSpan.FromMilliseconds(200);
        var active = await h.StartConnectorAsync(options);
        var standbyOptions = h.Options(AblyPgTables.User);
        standbyOptions.Health.BacklogDegradedAbove = 5;
        standbyOptions.Health.StoreCheckInterval = TimeSpan.FromMilliseconds(200);
        var standby = await h.StartConnectorAsync(standbyOptions);

        h.Ably.Faults.FailAll();
        await h.ExecuteAsync("""INSERT INTO users SELECT g, 'u' || g, NULL FROM generate_series(1, 10) g""");
        await Eventually(() => active.Health.Backlog == 10 && standby.Health.Backlog == 10);

        Assert.Equal(ConnectorHealthStatus.Degraded, active.Health.Status);
        Assert.Equal((ConnectorHealthStatus.Healthy, ConnectorRole.Standby, "Standing by for capture schema ablypg, its mappings checked"),
            (standby.Health.Status, standby.Health.Role, standby.Health.Description));
        h.Ably.Faults.Clear();
        await h.WaitForMessagesAsync(10);
    }

    [Fact]
    public async Task A_channel_held_to_its_rate_with_changes_piling_up_degrades_the_health_until_it_catches_up()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        var connector = await h.StartConnectorAsync(h.Options(AblyPgTables.User)); // bundling off: one message per change

        // 400 changes on one channel allowed 50 messages/s: Ably's channel limit is the bottleneck for seconds.
        await h.ExecuteAsync("""INSERT INTO users SELECT g, 'u' || g, NULL FROM generate_series(1, 400) g""");
        await Eventually(() => connector.Health.Status == ConnectorHealthStatus.Degraded, seconds: 15);

        var problem = Assert.Single(connector.Health.Problems);
        Assert.Matches(@"^channel users is held to Ably's 50 messages/s per channel, with \d+ change\(s\) waiting on it$", problem);
        await h.WaitForMessagesAsync(400);
        await Eventually(() => connector.Health.Status == ConnectorHealthStatus.Healthy, seconds: 20);
    }

    [Fact]
    public void Health_options_out_of_range_are_refused_with_their_name()
    {
        static string Refusal(Action<ConnectorOptions> change)
        {
            var options = new ConnectorOptions { ConnectionString = "Host=x", Ably = { ApiKey = "a.b:c" } };
            options.Tables.Add(AblyPgTables.User);
            change(options);
            return Assert.Throws<AblyConfigurationException>(options.Validate).Message;
        }

        Assert.Equal("Health.BacklogDegradedAbove must be positive; it is 0.", Refusal(o => o.Health.BacklogDegradedAbove = 0));
        Assert.Equal("Health.LagDegradedAbove must be positive; it is -00:00:01.", Refusal(o => o.Health.LagDegradedAbove = TimeSpan.FromSeconds(-1)));
        Assert.Equal("Health.DatabaseUnreachableGrace must be positive; it is 00:00:00.", Refusal(o => o.Health.DatabaseUnreachableGrace = TimeSpan.Zero));
        Assert.Equal("Health.StoreCheckInterval must be positive; it is 00:00:00.", Refusal(o => o.Health.StoreCheckInterval = TimeSpan.Zero));
        Assert.Equal("ProgressLogInterval must be positive; it is 00:00:00.", Refusal(o => o.ProgressLogInterval = TimeSpan.Zero));
        Assert.Equal("StoreSizeWarningAbove must be positive (or null, to turn the warning off); it is 0.", Refusal(o => o.StoreSizeWarningAbove = 0));
        Assert.Equal("Health must not be null.", Refusal(o => o.Health = null!));
    }
}
