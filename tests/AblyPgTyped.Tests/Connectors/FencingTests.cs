using System;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.LocalAbly;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Npgsql;
using Xunit;
using static AblyPgTyped.Tests.Connectors.AblyLimitsTests;
using static AblyPgTyped.Tests.Connectors.DeliveryTests;

namespace AblyPgTyped.Tests.Connectors;

/// <summary>A leader that lost its database session never publishes again, whatever it still holds (LeaderFence).</summary>
[Collection(PostgresCollection.Name)]
public class FencingTests(PostgresFixture postgres)
{
    /// <summary>The capture mode the tests run in; a subclass runs them all again in another.</summary>
    protected virtual CaptureMode Capture => CaptureMode.Triggers;

    private const int Rows = 20;

    [Fact]
    public async Task A_deposed_leader_whose_endpoint_comes_back_publishes_nothing()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Capture, Schemas.Users);

        // The first leader reaches PostgreSQL through a proxy that can partition it, and publishes to an endpoint of
        // its own, so whatever it sends is seen apart from what its successor sends to the harness's endpoint.
        var database = new NpgsqlConnectionStringBuilder(h.ConnectionString);
        await using var partition = new SilentPartitionProxy(database.Port); // the throwaway cluster listens on loopback
        await using var leadersAbly = await LocalAblyServer.StartAsync(new LocalAblyOptions { ApiKeys = { ConnectorHarness.ApiKey } });
        var leaderOptions = h.Options(AblyPgTables.User);
        leaderOptions.ConnectionString = new NpgsqlConnectionStringBuilder(h.ConnectionString) { Host = "127.0.0.1", Port = partition.Port }.ConnectionString;
        leaderOptions.Ably.Port = leadersAbly.Port;
        var leader = await h.StartConnectorAsync(leaderOptions);
        await Eventually(() => leader.IsActive);
        var standby = await h.StartConnectorAsync(h.Options(AblyPgTables.User));
        await Task.Delay(300);
        Assert.False(standby.IsActive);

        // Normal service: the leader publishes.
        await h.ExecuteAsync($"""INSERT INTO users SELECT g, 'v1', NULL FROM generate_series(1, {Rows}) g""");
        await leadersAbly.WaitForMessagesAsync(Rows, TimeSpan.FromSeconds(10));
        await WaitUntilAsync(async () => await h.BacklogAsync() == 0, TimeSpan.FromSeconds(10), async () => await h.DescribeBacklogAsync());

        // The leader is cut off from Ably while it holds changes: they wait in its lanes, to be retried.
        leadersAbly.Faults.FailAll(503, 50300);
        await h.ExecuteAsync("""UPDATE users SET "Name" = 'v2'""");
        await Eventually(() => leadersAbly.GetStats().InjectedFailures >= 2, seconds: 10);

        // Then it is partitioned from PostgreSQL, where its session is ended: the standby takes over.
        partition.Partition();
        await h.ExecuteAsync("""
            SELECT pg_terminate_backend(pid) FROM pg_locks
            WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """);
        await Eventually(() => standby.IsActive, seconds: 10);

        // The new leader publishes what waited, then newer values.
        await h.ExecuteAsync("""UPDATE users SET "Name" = 'v3'""");
        await WaitUntilAsync(async () => await h.BacklogAsync() == 0, TimeSpan.FromSeconds(15), async () => $"{await h.DescribeBacklogAsync()} after the takeover; {Describe(h)}");

        // The old leader's endpoint comes back while it still holds the v2 updates: it must publish nothing, neither
        // while it cannot reach PostgreSQL (its lock cannot be confirmed) nor once it can (the lock is gone).
        var requestsBefore = leadersAbly.GetStats().PublishRequests;
        leadersAbly.Faults.Clear();
        await Task.Delay(TimeSpan.FromSeconds(6));
        Assert.Equal(requestsBefore, leadersAbly.GetStats().PublishRequests);
        partition.Heal();
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(requestsBefore, leadersAbly.GetStats().PublishRequests);
        Assert.Equal(Rows, leadersAbly.AcceptedMessageCount);
        Assert.False(leader.IsActive);

        // Subscribers of the live endpoint saw each row's values once, in order: v2 then v3, never back.
        await Task.Delay(300);
        Assert.Equal(0, h.Ably.GetStats().DuplicateMessages);
        for (var id = 1; id <= Rows; id++)
        {
            var values = h.Ably.GetMessages($"users:{id}").SelectMany(m => AblyPgTables.User.ReadChanges(m.DataString!)).Select(c => c.New!.Name);
            Assert.Equal(["v2", "v3"], values);
        }
    }
}
