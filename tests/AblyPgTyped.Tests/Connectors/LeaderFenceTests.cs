using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Capture;
using AblyPgTyped.Tests.Shared;
using Npgsql;
using Xunit;

namespace AblyPgTyped.Tests.Connectors;

/// <summary>
/// The fence's lease: a check vouches for publish attempts for <see cref="LeaderFence.Lease"/>, so a new leader waits
/// <see cref="LeaderFence.TakeoverWait"/> before its first, and a lost lock stops the attempts once the lease is out.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class LeaderFenceTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_new_leader_waits_out_any_predecessors_lease_and_a_lost_lock_is_found_once_the_lease_is_out()
    {
        Assert.True(LeaderFence.TakeoverWait >= 3 * LeaderFence.Lease, "the wait leaves room for a request that left after its check");
        await using var sessions = NpgsqlDataSource.Create(await postgres.Server.CreateDatabaseAsync());
        await using var leader = await LeadAsync(sessions);

        await using var fence = new LeaderFence(sessions, leader.ProcessID, Stopwatch.GetTimestamp(), "ablypg");
        var clock = Stopwatch.StartNew();
        await fence.ConfirmAsync(CancellationToken.None);
        Assert.True(clock.Elapsed >= LeaderFence.TakeoverWait - TimeSpan.FromMilliseconds(5), $"first confirmation after {clock.Elapsed}");

        // The leader's session ends, and with it the lock: within a lease of the last check nothing asks, after it the
        // fence finds the lock gone.
        await using (var end = sessions.CreateCommand($"SELECT pg_terminate_backend({leader.ProcessID})"))
        {
            await end.ExecuteNonQueryAsync();
        }

        await Task.Delay(LeaderFence.Lease + TimeSpan.FromMilliseconds(20));
        await Assert.ThrowsAsync<LeadershipLostException>(() => fence.ConfirmAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Steady_publish_attempts_share_a_check_per_lease()
    {
        await using var sessions = NpgsqlDataSource.Create(await postgres.Server.CreateDatabaseAsync());
        await using var leader = await LeadAsync(sessions);

        await using var fence = new LeaderFence(sessions, leader.ProcessID, Stopwatch.GetTimestamp(), "ablypg");
        await fence.ConfirmAsync(CancellationToken.None);
        var checksBefore = fence.Checks;

        // 1,000 attempts in about half a second: a check per lease, not per attempt.
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 1000; i++)
        {
            await fence.ConfirmAsync(CancellationToken.None);
            if (i % 100 == 99)
            {
                await Task.Delay(50);
            }
        }

        var checks = fence.Checks - checksBefore;
        var leases = clock.Elapsed / LeaderFence.Lease;
        Assert.True(checks <= leases + 2 && checks < 100, $"{checks} checks for 1,000 attempts in {clock.Elapsed} ({leases:0.0} leases)");
    }

    /// <summary>A session holding the leader lock of capture schema <c>ablypg</c>, as a connector's leader session does.</summary>
    private static async Task<NpgsqlConnection> LeadAsync(NpgsqlDataSource sessions)
    {
        var leader = await sessions.OpenConnectionAsync();
        await using var take = new NpgsqlCommand("SELECT pg_advisory_lock($1)", leader);
        take.Parameters.Add(new NpgsqlParameter<long> { TypedValue = CaptureSql.LeaderLockKey("ablypg") });
        await take.ExecuteNonQueryAsync();
        return leader;
    }
}
