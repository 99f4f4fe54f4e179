using System;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.Observability;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit;
using static AblyPgTyped.Tests.Connectors.DeliveryTests;

namespace AblyPgTyped.Tests.Observability;

/// <summary>The connector's instruments, read through a real MeterListener while a real connector drains real changes.</summary>
[Collection(PostgresCollection.Name)]
public sealed class MetricsTests(PostgresFixture postgres)
{
    private static readonly (string, object?) Schema = (TelemetryNames.CaptureSchema, "ablypg");

    [Fact]
    public async Task The_counters_and_histograms_match_what_the_endpoint_accepted()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users, MoreSchemas.Docs);
        await using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        using var metrics = new MetricCapture(meters);
        var options = h.Options(AblyPgTables.User, AblyPgTables.Doc);
        options.MaxChangesPerMessage = 500; // more inserts than the channel's 50 messages/s: some go in bundles
        await using var connector = new Connector(options, h.Logs, meters);
        await connector.StartAsync();

        await h.ExecuteAsync("""INSERT INTO users SELECT g, 'u' || g, NULL FROM generate_series(1, 300) g""");
        await h.ExecuteAsync("""UPDATE users SET "Bio" = 'b' WHERE "Id" <= 5""");
        await h.ExecuteAsync("""INSERT INTO docs VALUES (1, $1::jsonb)""", new string('[', 70) + new string(']', 70));
        await Eventually(async () => await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.changes") == 0 && Changes(h, "users") == 300);

        var inserts = h.Ably.GetMessages("users");
        var bundles = inserts.Count(m => AblyPgTables.User.ReadChanges(m.DataString!).Count > 1);
        Assert.InRange(inserts.Count, 1, 299);
        Assert.InRange(bundles, 1, inserts.Count);
        Assert.Equal(306, metrics.Sum(TelemetryNames.ChangesRead, Schema));
        Assert.Equal(300, metrics.Sum(TelemetryNames.ChangesPublished, Schema, (TelemetryNames.Destination, "users")));
        Assert.Equal(5, metrics.Sum(TelemetryNames.ChangesPublished, Schema, (TelemetryNames.Destination, "users:{Id}")));
        Assert.DoesNotContain(metrics.All, m => m.Tags.TryGetValue(TelemetryNames.Destination, out var d) && d is "users:1");
        var sent = metrics.Of(TelemetryNames.SentMessages, (TelemetryNames.Destination, "users"), (TelemetryNames.MessagingSystem, "ably"));
        Assert.All(sent, m => Assert.False(m.Tags.ContainsKey(TelemetryNames.ErrorType)));
        Assert.Equal(inserts.Count, sent.Sum(m => m.Value));
        Assert.Equal(bundles, metrics.Sum(TelemetryNames.BundlesSent, (TelemetryNames.Destination, "users")));
        Assert.Equal(1, metrics.Sum(TelemetryNames.DeadLetters, Schema, (TelemetryNames.DeadLetterReason, "mapping_mismatch")));

        var lags = metrics.Of(TelemetryNames.Lag, Schema);
        Assert.Equal(305, lags.Count);
        Assert.All(lags, l => Assert.InRange(l.Value, 0, 30));
        var requests = metrics.Of(TelemetryNames.OperationDuration, Schema, (TelemetryNames.OperationName, "publish"), (TelemetryNames.ServerAddress, "127.0.0.1"));
        Assert.Equal(h.Ably.GetStats().BatchPublishRequests, requests.Count);
        Assert.All(requests, r => Assert.InRange(r.Value, 0, 10));
        Assert.Equal("s", requests[0].Unit);

        // A 429 and a 500 on the request as a whole: two retries with their reasons, and the 429 counted for the account.
        h.Ably.Faults.FailNext(1, statusCode: 429, errorCode: 42910, message: "Rate limit exceeded");
        await h.ExecuteAsync("""INSERT INTO users VALUES (1000, 'after a 429', NULL)""");
        await Eventually(() => Changes(h, "users") == 301);
        h.Ably.Faults.FailNext(1, statusCode: 500, errorCode: 50000);
        await h.ExecuteAsync("""INSERT INTO users VALUES (1001, 'after a 500', NULL)""");
        await Eventually(() => Changes(h, "users") == 302);

        Assert.Equal(1, metrics.Sum(TelemetryNames.Retries, Schema, (TelemetryNames.RetryReason, "rate_limited")));
        Assert.Equal(1, metrics.Sum(TelemetryNames.Retries, Schema, (TelemetryNames.RetryReason, "server_error")));
        Assert.Equal(1, metrics.Sum(TelemetryNames.RateLimited, Schema, (TelemetryNames.RateLimitScope, "account"), (TelemetryNames.ErrorType, "42910")));
        Assert.Single(metrics.Of(TelemetryNames.OperationDuration, (TelemetryNames.ErrorType, "42910")));
        Assert.Single(metrics.Of(TelemetryNames.OperationDuration, (TelemetryNames.ErrorType, "50000")));
        Assert.Equal(1, metrics.Sum(TelemetryNames.SentMessages, (TelemetryNames.Destination, "users"), (TelemetryNames.ErrorType, "50000")));
        Assert.Equal(302, metrics.Sum(TelemetryNames.ChangesPublished, (TelemetryNames.Destination, "users")));
    }

    [Fact]
    public async Task The_gauges_show_the_store_the_role_and_the_health_as_they_change()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        await using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        using var metrics = new MetricCapture(meters);
        var options = h.Options(AblyPgTables.User);
        options.Health.StoreCheckInterval = TimeSpan.FromMilliseconds(200);
        await using var active = new Connector(options, h.Logs, meters);
        await active.StartAsync();
        await using var standby = new Connector(h.Options(AblyPgTables.User), h.Logs, meters);
        await standby.StartAsync();

        h.Ably.Faults.FailAll();
        await h.ExecuteAsync("""INSERT INTO users SELECT g, 'u' || g, NULL FROM generate_series(1, 40) g""");
        await Eventually(() => Read(metrics, TelemetryNames.Backlog).SequenceEqual([40.0]) && active.Health.Problems.Count > 0);

        // The store's gauges come from the active connector alone; each connector reports its role and health.
        var gauges = metrics.Collect();
        Assert.InRange(Assert.Single(Read(metrics, TelemetryNames.OldestChangeAge)), 0.001, 60);
        Assert.InRange(Assert.Single(Read(metrics, TelemetryNames.StoreSize)), 8192, 100_000_000);
        Assert.Equal("By", gauges[TelemetryNames.StoreSize].Unit);
        Assert.Equal("ablypg", gauges[TelemetryNames.Backlog].Tags[TelemetryNames.CaptureSchema]);
        Assert.Equal(new NpgsqlConnectionStringBuilder(h.ConnectionString).Database, gauges[TelemetryNames.Backlog].Tags[TelemetryNames.DatabaseName]);
        Assert.Equal([0.0, 1.0], Read(metrics, TelemetryNames.Active).Order());
        Assert.Equal([0.0, 1.0], Read(metrics, TelemetryNames.Health).Order()); // the standby is healthy; the active one degraded, as Ably fails
        Assert.Equal(ConnectorHealthStatus.Degraded, active.Health.Status);
        Assert.Contains(active.Health.Problems, p => p.StartsWith("Ably has accepted no publish request for", StringComparison.Ordinal));
        Assert.Equal((ConnectorHealthStatus.Healthy, ConnectorRole.Standby), (standby.Health.Status, standby.Health.Role));

        h.Ably.Faults.Clear();
        await Eventually(() => Read(metrics, TelemetryNames.Backlog).SequenceEqual([0.0]) && Read(metrics, TelemetryNames.Health).SequenceEqual([0.0, 0.0]));
        Assert.Equal([0.0], Read(metrics, TelemetryNames.OldestChangeAge));
        await h.WaitForMessagesAsync(40);

        // A stopped connector reports no role, and Unhealthy, until it is disposed; then nothing.
        await standby.StopAsync();
        Assert.Equal([1.0], Read(metrics, TelemetryNames.Active));
        Assert.Equal((ConnectorHealthStatus.Unhealthy, "The connector is stopped"), (standby.Health.Status, standby.Health.Description));
        Assert.Equal([0.0, 2.0], Read(metrics, TelemetryNames.Health).Order());
        await standby.DisposeAsync();
        Assert.Equal([0.0], Read(metrics, TelemetryNames.Health));
    }

    /// <summary>Changes (bundled or not) the endpoint accepted on one channel.</summary>
    internal static int Changes(ConnectorHarness h, string channel) =>
        h.Ably.GetMessages(channel).Sum(m => AblyPgTables.User.ReadChanges(m.DataString!).Count);

    /// <summary>The values a gauge reports now, one per connector.</summary>
    private static double[] Read(MetricCapture metrics, string instrument)
    {
        var before = metrics.All.Count;
        metrics.Collect();
        return [.. metrics.All.Skip(before).Where(m => m.Instrument == instrument).Select(m => m.Value)];
    }
}
