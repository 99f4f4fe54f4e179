using System;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Npgsql;
using Xunit;
using static AblyPgTyped.Tests.Connectors.AblyLimitsTests;

namespace AblyPgTyped.Tests.Connectors;

/// <summary>
/// Bundles that Ably accepted just before a crash go again, after it, cut exactly as they were (the cut journal), so
/// Ably de-duplicates them by id and no subscriber sees a change twice, even when the restarted connector would
/// bundle the same backlog differently.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class CutJournalTests(PostgresFixture postgres)
{
    private const int Rows = 300;

    /// <summary>Ably accepts, but the connector never gets to forget: its delete of the store's rows hangs.</summary>
    private const string HangForget = """
        CREATE FUNCTION public.hang_forget() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(600); RETURN NULL; END $$;
        CREATE TRIGGER hang_forget BEFORE DELETE ON ablypg.changes FOR EACH STATEMENT EXECUTE FUNCTION public.hang_forget();
        """;

    [Fact]
    public async Task Bundles_accepted_but_not_forgotten_before_a_kill_go_again_as_they_were_cut()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        using (var victim = ConnectorProcess.Start(h, "tables=users")) // product defaults: adaptive bundling, up to 500 per message
        {
            await victim.WaitUntilActiveAsync();

            // Ably accepts, but the connector never gets to forget: its delete of the store's rows hangs. So every
            // change it published is still in the store when it is killed, as after a crash at the worst moment.
            await h.ExecuteAsync(HangForget);
            await h.ExecuteAsync("""INSERT INTO users SELECT g, 'u' || g, NULL FROM generate_series(1, $1) g""", Rows);
            await WaitUntilAsync(() => Task.FromResult(Delivered(h).Count == Rows), TimeSpan.FromSeconds(20), () => Task.FromResult($"{Delivered(h).Count} of {Rows} delivered; {Describe(h)}"));
            Assert.True(h.Ably.GetMessages("users").Count > 1 && h.Ably.GetMessages("users").Count < Rows, "the changes were not bundled");
            victim.Kill();
        }

        // The killed process's backend sleeps in the trigger, holding the leader lock: end it.
        await h.ExecuteAsync("""SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE '%DELETE FROM%'""");
        await h.ExecuteAsync("""DROP TRIGGER hang_forget ON ablypg.changes""");
        Assert.Equal(1L, await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.changes"));
        var messagesBefore = h.Ably.GetMessages("users").Count;

        // Cut afresh, the same backlog would now go as bundles of 4: other ids, the same changes again.
        var options = h.Options(AblyPgTables.User);
        options.MaxChangesPerMessage = 4;
        await h.StartConnectorAsync(options);
        await WaitUntilAsync(async () => await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.changes") == 0, TimeSpan.FromSeconds(20), () => Task.FromResult(Describe(h)));

        var stats = h.Ably.GetStats();
        Assert.True(stats.Channels["users"].DuplicateMessages == messagesBefore, $"{stats.Channels["users"].DuplicateMessages} re-sent message(s) were dropped by id; {messagesBefore} were sent before the kill");
        Assert.Equal(messagesBefore, h.Ably.GetMessages("users").Count);
        Assert.Equal(Enumerable.Range(1, Rows), Delivered(h));
    }

    [Fact]
    public async Task A_change_that_commits_late_among_accepted_bundles_waits_behind_them_after_a_kill()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        using (var victim = ConnectorProcess.Start(h, "tables=users"))
        {
            await victim.WaitUntilActiveAsync();
            await h.ExecuteAsync(HangForget);

            // Ably fails while the store gets 1..150, a writer's row that stays uncommitted, then 151..300: the connector
            // reads the committed rows and cuts them with the open transaction's store id among them.
            var outage = h.Ably.Faults.FailAll(503, 50300);
            await h.ExecuteAsync("""INSERT INTO users SELECT g, 'u' || g, NULL FROM generate_series(1, 150) g""");
            await using var late = await h.Database.OpenConnectionAsync();
            await using var open = await late.BeginTransactionAsync();
            await using (var insert = new NpgsqlCommand("""INSERT INTO users VALUES (1000, 'late', NULL)""", late, open))
            {
                await insert.ExecuteNonQueryAsync();
            }

            await h.ExecuteAsync("""INSERT INTO users SELECT g, 'u' || g, NULL FROM generate_series(151, 300) g""");
            await Task.Delay(1500);
            h.Ably.Faults.Remove(outage);
            await WaitUntilAsync(() => Task.FromResult(Delivered(h).Count == Rows), TimeSpan.FromSeconds(20), () => Task.FromResult($"{Delivered(h).Count} of {Rows} delivered; {Describe(h)}"));
            victim.Kill();

            await h.ExecuteAsync("""SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE '%DELETE FROM%'""");
            await open.CommitAsync(); // before the trigger is dropped: that waits for the transaction's lock on the store
            await h.ExecuteAsync("""DROP TRIGGER hang_forget ON ablypg.changes""");
        }

        // The restart reads the late change among the others. It was in none of the chunks, so they go again as they
        // were (dropped by id), and the late change after the one whose range holds it.
        var messagesBefore = h.Ably.GetMessages("users").Count;
        var options = h.Options(AblyPgTables.User);
        options.MaxChangesPerMessage = 4;
        await h.StartConnectorAsync(options);
        await WaitUntilAsync(async () => await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.changes") == 0, TimeSpan.FromSeconds(20), () => Task.FromResult(Describe(h)));

        Assert.DoesNotContain(h.Logs.Entries, e => e.EventId == 1213); // nothing cut afresh
        Assert.Equal(messagesBefore, h.Ably.GetStats().Channels["users"].DuplicateMessages);
        Assert.Equal(Enumerable.Range(1, Rows).Append(1000), Delivered(h));
    }

    private static System.Collections.Generic.List<int> Delivered(ConnectorHarness h) =>
        h.Ably.GetMessages("users").SelectMany(m => AblyPgTables.User.ReadChanges(m.DataString!)).Select(c => c.New!.Id).ToList();
}
