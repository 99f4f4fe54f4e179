using System;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.LocalAbly;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Npgsql;
using Xunit;
using static AblyPgTyped.Tests.Connectors.DeliveryTests;

namespace AblyPgTyped.Tests.Connectors;

/// <summary>Leadership when the active connector's network goes silent: the lease lets a standby take over within seconds.</summary>
[Collection(PostgresCollection.Name)]
public class PartitionTests(PostgresFixture postgres)
{
    /// <summary>The capture mode the tests run in; a subclass runs them all again in another.</summary>
    protected virtual CaptureMode Capture => CaptureMode.Triggers;

    [Fact]
    public async Task A_standby_takes_over_from_a_silently_partitioned_leader_which_never_publishes_again()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Capture, Schemas.Users);
        await using var proxy = new SilentPartitionProxy(new NpgsqlConnectionStringBuilder(h.ConnectionString).Port);

        // The leader reaches PostgreSQL through the proxy and publishes to an endpoint of its own, so that anything it
        // publishes can be told apart; the standby connects directly and publishes to the harness's endpoint.
        await using var leaderEndpoint = await LocalAblyServer.StartAsync(new LocalAblyOptions { ApiKeys = { ConnectorHarness.ApiKey } });
        var viaProxy = h.Options(AblyPgTables.User);
        viaProxy.ConnectionString = new NpgsqlConnectionStringBuilder(h.ConnectionString) { Port = proxy.Port, Timeout = 5 }.ConnectionString;
        viaProxy.Ably.Port = leaderEndpoint.Port;
        var leaderLogs = new TestLoggerFactory();
        await using var leader = new Connector(viaProxy, leaderLogs);
        await leader.StartAsync();
        var standby = await h.StartConnectorAsync(h.Options(AblyPgTables.User));
        Assert.Equal((true, false), (leader.IsActive, standby.IsActive));

        // The leader holds five changes it cannot get accepted when its network goes silent.
        leaderEndpoint.Faults.FailAll();
        await h.ExecuteAsync("""INSERT INTO users SELECT g, 'u' || g, NULL FROM generate_series(1, 5) g""");
        await Eventually(() => leaderLogs.Entries.Any(e => e.EventId is 1201 or 1204));
        proxy.Partition();
        var partitioned = Stopwatch.StartNew();

        var taken = await h.WaitForMessagesAsync(5, seconds: 30);
        Assert.True(partitioned.Elapsed < TimeSpan.FromSeconds(30), $"publishing resumed after {partitioned.Elapsed}");
        Assert.True(standby.IsActive);
        Assert.Equal(Enumerable.Range(1, 5), taken.Select(m => AblyPgTables.User.ReadChanges(m.DataString!).Single().New!.Id).Order());
        Assert.Contains(h.Logs.Entries, e => e.EventId == 1010 && e.Text.Contains("was silent for", StringComparison.Ordinal));

        // Healed, the old leader finds it lost its place, and publishes nothing even though its endpoint now accepts.
        leaderEndpoint.Faults.Clear();
        proxy.Heal();
        await h.ExecuteAsync("""INSERT INTO users VALUES (6, 'after the partition', NULL)""");
        var all = await h.WaitForMessagesAsync(6, seconds: 30);
        await Eventually(() => !leader.IsActive, seconds: 30);
        await Task.Delay(TimeSpan.FromSeconds(3));

        Assert.Equal(0, leaderEndpoint.AcceptedMessageCount);
        Assert.Equal(6, all.Select(m => m.Id).Distinct().Count());
        Assert.True(standby.IsActive);
    }

    [Fact]
    public async Task A_leader_held_up_by_ably_or_idle_keeps_its_lease_while_a_standby_watches_it()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Capture, Schemas.Users);
        var leaderOptions = h.Options(AblyPgTables.User);
        leaderOptions.LeaseTimeout = TimeSpan.FromSeconds(4);
        leaderOptions.MaxChangesInFlight = 5;
        var standbyOptions = h.Options(AblyPgTables.User);
        standbyOptions.LeaseTimeout = TimeSpan.FromSeconds(4);
        var leader = await h.StartConnectorAsync(leaderOptions);
        var standby = await h.StartConnectorAsync(standbyOptions);

        // Ably refuses everything and the leader holds all it may: its drain reads nothing, only the heartbeat shows it is alive.
        h.Ably.Faults.FailAll();
        await h.ExecuteAsync("""INSERT INTO users SELECT g, 'u' || g, NULL FROM generate_series(1, 20) g""");
        await Task.Delay(TimeSpan.FromSeconds(10));
        Assert.Equal((true, false), (leader.IsActive, standby.IsActive));

        h.Ably.Faults.Clear();
        await h.WaitForMessagesAsync(20);
        await Task.Delay(TimeSpan.FromSeconds(6));

        Assert.Equal((true, false), (leader.IsActive, standby.IsActive));
        Assert.DoesNotContain(h.Logs.Entries, e => e.EventId is 1010 or 1011 or 1002);
    }

    [Fact]
    public void A_lease_shorter_than_three_heartbeats_is_refused()
    {
        var options = new ConnectorOptions { ConnectionString = "Host=x", LeaseTimeout = TimeSpan.FromSeconds(2), Ably = { ApiKey = "a.b:c" } };
        options.Tables.Add(AblyPgTables.User);

        var error = Assert.Throws<AblyPgTyped.Publishing.AblyConfigurationException>(() => new Connector(options));

        Assert.Equal("LeaseTimeout must be at least 3 seconds (the active connector shows it is alive every second); it is 00:00:02.", error.Message);
    }
}
