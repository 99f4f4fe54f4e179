using System;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Xunit;
using static AblyPgTyped.Tests.Connectors.DeliveryTests;

namespace AblyPgTyped.Tests.Connectors;

/// <summary>Nothing lost and nothing seen twice: stops, kills, endpoint outages, retries, standby takeover.</summary>
[Collection(PostgresCollection.Name)]
public class DurabilityTests(PostgresFixture postgres)
{
    /// <summary>The capture mode the tests run in; a subclass runs them all again in another.</summary>
    protected virtual CaptureMode Capture => CaptureMode.Triggers;

    [Fact]
    public async Task Changes_made_while_the_connector_is_stopped_are_delivered_after_restart()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Capture, Schemas.Users);
        var first = await h.StartConnectorAsync(h.Options(AblyPgTables.User));
        await h.ExecuteAsync("""INSERT INTO users SELECT g, 'a' || g FROM generate_series(1, 100) g""");
        await h.WaitForMessagesAsync(100);
        await first.StopAsync();

        await h.ExecuteAsync("""INSERT INTO users SELECT g, 'b' || g FROM generate_series(101, 250) g""");
        await h.ExecuteAsync("""UPDATE users SET "Bio" = 'while down' WHERE "Id" <= 10""");
        await Task.Delay(500);
        Assert.Equal(100, h.Ably.AcceptedMessageCount);

        await h.StartConnectorAsync(h.Options(AblyPgTables.User));
        var messages = await h.WaitForMessagesAsync(260);

        Assert.Equal(260, messages.Select(m => m.Id).Distinct().Count());
        Assert.Equal(Enumerable.Range(1, 250), messages.Where(m => m.Name == "insert").Select(m => AblyPgTables.User.ReadChanges(m.DataString!).Single().New!.Id).Order());
    }

    [Fact]
    public async Task A_connector_killed_mid_batch_loses_nothing_and_subscribers_see_each_change_once()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Capture, Schemas.Users);
        using (var victim = ConnectorProcess.Start(h))
        {
            await victim.WaitUntilActiveAsync();
            h.Ably.Faults.AddLatency(TimeSpan.FromSeconds(3), count: 1);
            await h.ExecuteAsync("""INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 500) g""");
            await Eventually(() => h.Ably.GetStats().DelayedRequests >= 1);
            victim.Kill();
        }

        h.Ably.Faults.Clear();
        await h.ExecuteAsync("""INSERT INTO users SELECT g, 'after' || g FROM generate_series(501, 600) g""");
        await h.StartConnectorAsync(h.Options(AblyPgTables.User));
        var messages = await h.WaitForMessagesAsync(600);
        await Eventually(async () => await h.BacklogAsync() == 0);
        await Task.Delay(300);

        Assert.Equal(600, h.Ably.GetMessages().Count);
        Assert.Equal(Enumerable.Range(1, 600), messages.Select(m => AblyPgTables.User.ReadChanges(m.DataString!).Single().New!.Id).Order());
    }

    [Fact]
    public async Task Changes_made_while_the_endpoint_is_down_are_delivered_when_it_recovers()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Capture, Schemas.Users);
        await h.StartConnectorAsync(h.Options(AblyPgTables.User));
        h.Ably.Faults.DropAll();

        await h.ExecuteAsync("""INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 50) g""");
        await Eventually(() => h.Ably.GetStats().DroppedConnections >= 3);
        await Eventually(() => h.Logs.Entries.Any(e => e.EventId == 1201));
        Assert.Equal(0, h.Ably.AcceptedMessageCount);
        Assert.Equal(1L, await h.BacklogAsync());

        h.Ably.Faults.Clear();
        var messages = await h.WaitForMessagesAsync(50);

        Assert.Equal(50, messages.Select(m => m.Id).Distinct().Count());
        await Eventually(async () => await h.BacklogAsync() == 0);
    }

    [Theory]
    [InlineData(503, 50300, 0)]
    [InlineData(500, 50000, 0)]
    [InlineData(429, 42913, 1)]
    public async Task Server_errors_and_rate_limits_are_retried_without_duplicates(int status, int code, int retryAfterSeconds)
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Capture, Schemas.Users);
        await h.StartConnectorAsync(h.Options(AblyPgTables.User));
        h.Ably.Faults.FailNext(4, status, code, retryAfter: retryAfterSeconds > 0 ? TimeSpan.FromSeconds(retryAfterSeconds) : null);

        await h.ExecuteAsync("""INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 20) g""");
        var messages = await h.WaitForMessagesAsync(20);
        await Task.Delay(300);

        Assert.Equal(4, h.Ably.GetStats().InjectedFailures);
        Assert.Equal(20, h.Ably.GetMessages().Count);
        Assert.Equal(20, messages.Select(m => m.Id).Distinct().Count());
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.dead_letters"));
    }

    [Fact]
    public async Task A_rejected_key_pauses_publishing_without_discarding_anything()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Capture, Schemas.Users);
        var options = h.Options(AblyPgTables.User);
        options.Ably.ApiKey = "test.key:wrong-secret";
        await h.StartConnectorAsync(options);

        await h.ExecuteAsync("""INSERT INTO users VALUES (1, 'kept', NULL)""");
        await Eventually(() => h.Logs.Entries.Any(e => e.EventId == 1202));

        Assert.Equal(1L, await h.BacklogAsync());
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.dead_letters"));
        Assert.DoesNotContain("wrong-secret", h.Logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t-value", h.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_standby_takes_over_within_seconds_when_the_active_process_is_killed()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Capture, Schemas.Users);
        using var active = ConnectorProcess.Start(h);
        await active.WaitUntilActiveAsync();
        var standby = await h.StartConnectorAsync(h.Options(AblyPgTables.User));
        await Task.Delay(500);
        Assert.False(standby.IsActive);
        await h.ExecuteAsync("""INSERT INTO users VALUES (1, 'before', NULL)""");
        await h.WaitForMessagesAsync(1);

        var killedAt = DateTime.UtcNow;
        active.Kill();
        await Eventually(() => standby.IsActive, seconds: 10);
        var takeover = DateTime.UtcNow - killedAt;
        await h.ExecuteAsync("""INSERT INTO users VALUES (2, 'after', NULL)""");
        var messages = await h.WaitForMessagesAsync(2);

        Assert.True(takeover < TimeSpan.FromSeconds(5), $"takeover took {takeover}");
        Assert.Equal("after", AblyPgTables.User.ReadChanges(messages[1].DataString!).Single().New!.Name);
    }

    [Fact]
    public async Task Only_one_of_two_connectors_is_active_and_stopping_it_hands_over()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Capture, Schemas.Users);
        var first = await h.StartConnectorAsync(h.Options(AblyPgTables.User));
        var second = await h.StartConnectorAsync(h.Options(AblyPgTables.User));
        await Eventually(() => first.IsActive);
        await Task.Delay(400);
        Assert.False(second.IsActive);

        await first.StopAsync();
        await Eventually(() => second.IsActive, seconds: 5);
        await h.ExecuteAsync("""INSERT INTO users VALUES (1, 'x', NULL)""");

        Assert.Single(await h.WaitForMessagesAsync(1));
    }
}
