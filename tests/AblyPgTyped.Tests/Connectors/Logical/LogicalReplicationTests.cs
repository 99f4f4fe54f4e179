using System;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using AblyPgTyped.LocalAbly;
using AblyPgTyped.LocalPostgres;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Npgsql;
using Xunit;
using static AblyPgTyped.Tests.Connectors.DeliveryTests;

namespace AblyPgTyped.Tests.Connectors.Logical;

/// <summary>A mapping with the default, key-only replica identity.</summary>
[AblyTable("notes", Insert = "notes", Update = "notes", Delete = "notes:{Id}")]
public sealed record Note(int Id, string Title, string? Body);

/// <summary>What only logical-replication capture has: replica identity, schema changes, the slot's life, start-up checks.</summary>
[Collection(PostgresCollection.Name)]
public sealed class LogicalReplicationTests(PostgresFixture postgres)
{
    private const string Notes = """CREATE TABLE notes ("Id" int PRIMARY KEY, "Title" text NOT NULL, "Body" text, "Secret" text);""";

    /// <summary>About 64 KB of text that does not compress: PostgreSQL stores it out of line (TOAST).</summary>
    private const string LargeText = "(SELECT string_agg(md5(g::text), '') FROM generate_series(1, 2000) g)";

    [Fact]
    public async Task Key_only_identity_publishes_only_the_mapped_columns_updates_without_old_and_deletes_with_the_key()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, CaptureMode.LogicalReplication, Notes);
        await h.StartConnectorAsync(h.Options(AblyPgTables.Note));

        // PostgreSQL 15+: the publication carries the mapped columns (and the key), never the unmapped Secret.
        var published = await h.ScalarAsync<string[]>("SELECT attnames::text[] FROM pg_publication_tables WHERE tablename = 'notes'");
        Assert.Equal(["Id", "Title", "Body"], published);

        await h.ExecuteAsync("""INSERT INTO notes VALUES (1, 'first', 'small', 'hidden')""");
        await h.ExecuteAsync("""UPDATE notes SET "Title" = 'renamed' WHERE "Id" = 1""");
        await h.ExecuteAsync("""DELETE FROM notes WHERE "Id" = 1""");
        var messages = await h.WaitForMessagesAsync(3);

        var update = messages.Single(m => m.Name == "update");
        using (var data = JsonDocument.Parse(update.DataString!))
        {
            Assert.False(data.RootElement.TryGetProperty("old", out _));
            Assert.Equal("renamed", data.RootElement.GetProperty("new").GetProperty("Title").GetString());
        }

        var deleted = Assert.Single(AblyPgTables.Note.ReadChanges(messages.Single(m => m.Name == "delete").DataString!));
        Assert.Equal("notes:1", messages.Single(m => m.Name == "delete").Channel);
        Assert.Equal(1, deleted.Old!.Id);
        Assert.Null(deleted.Old.Title); // a key-only delete carries the key alone
        Assert.DoesNotContain(messages, m => m.DataString!.Contains("hidden", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unchanged_TOASTed_value_is_never_published_as_null_it_is_dead_lettered_with_the_reason()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, CaptureMode.LogicalReplication, Notes);
        await h.StartConnectorAsync(h.Options(AblyPgTables.Note));

        await h.ExecuteAsync($"""INSERT INTO notes VALUES (2, 'large', {LargeText}, NULL)""");
        await h.ExecuteAsync("""UPDATE notes SET "Title" = 'retitled' WHERE "Id" = 2""");
        await h.ExecuteAsync("""UPDATE notes SET "Title" = 'again', "Body" = 'short now' WHERE "Id" = 2""");
        var messages = await h.WaitForMessagesAsync(2);
        await Eventually(async () => await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.dead_letters") == 1);

        Assert.Equal(["insert", "update"], messages.Select(m => m.Name));
        Assert.Equal("short now", AblyPgTables.Note.ReadChanges(messages[1].DataString!).Single().New!.Body);
        var reason = await h.ScalarAsync<string>("SELECT reason FROM ablypg.dead_letters");
        Assert.StartsWith("not captured: capture could not read the row: column \"Body\" of \"public\".\"notes\" kept a large (TOASTed) value", reason, StringComparison.Ordinal);
        Assert.Contains("ReplicaIdentity.Full", reason, StringComparison.Ordinal);
        Assert.Equal("retitled", await h.ScalarAsync<string>("SELECT data->1->>'Title' FROM ablypg.dead_letters")); // [reason, new row]
        await Eventually(async () => await h.BacklogAsync() == 0);
    }

    [Fact]
    public async Task A_renamed_or_retyped_mapped_column_or_table_is_reported_and_its_changes_dead_lettered_never_published_wrong()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, CaptureMode.LogicalReplication, Schemas.Users);
        await h.StartConnectorAsync(h.Options(AblyPgTables.User));

        await h.ExecuteAsync("""INSERT INTO users VALUES (1, 'before', 'bio')""");
        await h.ExecuteAsync("""ALTER TABLE users RENAME COLUMN "Bio" TO "About"; INSERT INTO users VALUES (2, 'renamed column', 'x')""");
        await h.ExecuteAsync("""ALTER TABLE users RENAME COLUMN "About" TO "Bio"; INSERT INTO users VALUES (3, 'back', NULL)""");
        await h.ExecuteAsync("""ALTER TABLE users RENAME TO people; INSERT INTO people VALUES (4, 'renamed table', NULL)""");
        await h.ExecuteAsync("""ALTER TABLE people RENAME TO users; ALTER TABLE users ALTER COLUMN "Bio" TYPE integer USING NULL; INSERT INTO users VALUES (5, 'retyped', 7)""");
        await Eventually(async () => await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.dead_letters") == 3);
        var messages = await h.WaitForMessagesAsync(2);
        await Task.Delay(300);

        Assert.Equal([1, 3], h.Ably.GetMessages().Select(m => AblyPgTables.User.ReadChanges(m.DataString!).Single().New!.Id));
        var reasons = await ReasonsAsync(h);
        Assert.Matches("^not captured: capture could not read the row: column \"Bio\" of \"public\".\"users\" \\(mapped by .*User.Bio\\) is not published", reasons[0]);
        Assert.Matches("^not captured: capture could not read the row: table \"public\".\"users\" \\(mapped by .*User\\) is now named \"public\".\"people\"", reasons[1]);
        Assert.Matches("^not captured: capture could not read the row: column \"Bio\" of \"public\".\"users\" \\(mapped by .*User.Bio\\) changed type from text to int4", reasons[2]);
        Assert.Equal(2, await h.ScalarAsync<int>("SELECT (data->1->>'Id')::int FROM ablypg.dead_letters ORDER BY id LIMIT 1")); // the row is kept
        Assert.Contains(h.Logs.Entries, e => e.EventId == 1153 && e.Text.Contains("\"Bio\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_transaction_larger_than_what_is_held_in_memory_is_delivered_whole_in_order_under_one_commit_position()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, CaptureMode.LogicalReplication, o => o.Plan = LocalAblyPlan.Unlimited, Schemas.Users);
        var options = h.Options(AblyPgTables.User);
        options.Ably.Plan = AblyPgTyped.Publishing.AblyPlan.Unlimited;
        options.MaxChangesInFlight = 1_000; // the drain holds 1,000; the source queues up to 10,000: the transaction is 25,000
        await h.StartConnectorAsync(options);

        await h.ExecuteAsync("""INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 25000) g""");
        var messages = await h.WaitForMessagesAsync(25_000, seconds: 120);

        var positions = messages.Select(m => ChangePosition.Parse(JsonDocument.Parse(m.DataString!).RootElement.GetProperty("position").GetString()!)).ToList();
        Assert.Single(positions.Select(p => p.CaptureId).Distinct());
        Assert.Equal(Enumerable.Range(0, 25_000), positions.Select(p => p.Index));
        Assert.Equal(Enumerable.Range(1, 25_000), messages.Select(m => AblyPgTables.User.ReadChanges(m.DataString!).Single().New!.Id));
        await Eventually(async () => await h.BacklogAsync() == 0);
    }

    [Fact]
    public async Task A_quiet_database_slot_keeps_little_WAL_while_the_server_writes_elsewhere()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, CaptureMode.LogicalReplication, Schemas.Users);
        await h.StartConnectorAsync(h.Options(AblyPgTables.User));
        await h.ExecuteAsync("""INSERT INTO users VALUES (1, 'only change', NULL)""");
        await h.WaitForMessagesAsync(1);

        // Another database writes about 40 MB of WAL; this one stays quiet. A checkpoint logs the running transactions,
        // which lets the slot's restart position move once its confirmed position passes them.
        await using (var busy = new NpgsqlConnection(await postgres.Server.CreateDatabaseAsync()))
        {
            await busy.OpenAsync();
            await using var write = new NpgsqlCommand("CREATE TABLE filler AS SELECT g, md5(g::text) AS m FROM generate_series(1, 400000) g; CHECKPOINT", busy);
            write.CommandTimeout = 120;
            await write.ExecuteNonQueryAsync();
        }

        long confirmedLag = 0, retained = 0;
        await Eventually(async () =>
        {
            await using var command = h.Database.CreateCommand(
                "SELECT (pg_current_wal_lsn() - confirmed_flush_lsn)::bigint, (pg_current_wal_lsn() - restart_lsn)::bigint FROM pg_replication_slots WHERE database = current_database()");
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            (confirmedLag, retained) = (reader.GetInt64(0), reader.GetInt64(1));
            return confirmedLag < 1024 * 1024 && retained < 8 * 1024 * 1024;
        }, seconds: 60);

        Assert.InRange(retained, 0, 8 * 1024 * 1024);
    }

    [Fact]
    public async Task Uninstall_drops_the_slot_and_the_publications_and_trigger_capture_refuses_a_left_over_slot()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, CaptureMode.LogicalReplication, Schemas.Users);
        var connector = await h.StartConnectorAsync(h.Options(AblyPgTables.User));
        await h.ExecuteAsync("""INSERT INTO users VALUES (1, 'x', NULL)""");
        await h.WaitForMessagesAsync(1);
        await connector.StopAsync();
        Assert.Equal(1L, await h.ScalarAsync<long>("SELECT count(*) FROM pg_replication_slots WHERE database = current_database()"));
        Assert.Equal(7L, await h.ScalarAsync<long>("SELECT count(*) FROM pg_publication WHERE pubname LIKE 'ablypg\\_%'"));

        var triggers = h.Options(AblyPgTables.User);
        triggers.Capture = CaptureMode.Triggers;
        await using (var refused = new AblyPgTyped.Connector(triggers))
        {
            var error = await Assert.ThrowsAsync<ConnectorStartException>(() => refused.StartAsync());
            Assert.Contains("was installed for logical replication", error.Message, StringComparison.Ordinal);
        }

        await connector.UninstallAsync();

        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM pg_replication_slots WHERE database = current_database()"));
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM pg_publication"));
        Assert.False(await h.ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'ablypg')"));
    }

    [Fact]
    public async Task Switching_from_triggers_hands_over_exactly_and_waits_for_what_the_triggers_captured()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, CaptureMode.Triggers, Schemas.Users);
        var triggerOptions = h.Options(AblyPgTables.User);
        triggerOptions.Ably.ApiKey = "test.key:wrong-secret"; // nothing is published: the store keeps what the triggers capture
        var stuck = await h.StartConnectorAsync(triggerOptions);
        await h.ExecuteAsync("""INSERT INTO users VALUES (1, 'by trigger', NULL)""");
        await stuck.StopAsync();

        var logical = h.Options(AblyPgTables.User);
        logical.Capture = CaptureMode.LogicalReplication;
        await using (var early = new AblyPgTyped.Connector(logical))
        {
            var error = await Assert.ThrowsAsync<ConnectorStartException>(() => early.StartAsync());
            Assert.Contains("1 capture row(s) recorded by the triggers", error.Message, StringComparison.Ordinal);
        }

        var draining = await h.StartConnectorAsync(h.Options(AblyPgTables.User)); // the triggers' backlog goes out
        await h.WaitForMessagesAsync(1);
        await Eventually(async () => await h.BacklogAsync() == 0);
        await draining.StopAsync();
        await h.StartConnectorAsync(logical);
        await h.ExecuteAsync("""INSERT INTO users VALUES (2, 'by the slot', NULL)""");
        var messages = await h.WaitForMessagesAsync(2);

        Assert.Equal([1, 2], messages.Select(m => AblyPgTables.User.ReadChanges(m.DataString!).Single().New!.Id));
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'ablypg_capture_%'"));
    }

    [Fact]
    public async Task Start_up_names_the_missing_REPLICATION_attribute_without_the_password()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, CaptureMode.LogicalReplication, Schemas.Users);
        var role = "plain_" + Guid.NewGuid().ToString("N")[..8];
        await h.ExecuteAsync($"CREATE ROLE {role} LOGIN PASSWORD 'pw-s3cret' NOREPLICATION");
        var options = h.Options(AblyPgTables.User);
        options.ConnectionString = new NpgsqlConnectionStringBuilder(h.ConnectionString) { Username = role, Password = "pw-s3cret" }.ConnectionString;

        await using var connector = new AblyPgTyped.Connector(options);
        var error = await Assert.ThrowsAsync<ConnectorStartException>(() => connector.StartAsync());

        Assert.Contains($"needs a role with the REPLICATION attribute, and role \"{role}\" does not have it", error.Message, StringComparison.Ordinal);
        Assert.Contains($"ALTER ROLE \"{role}\" REPLICATION", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("pw-s3cret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_up_names_a_wal_level_that_is_not_logical()
    {
        await using var server = await LocalPostgresCluster.StartAsync(new LocalPostgresOptions { ServerSettings = { ["wal_level"] = "replica" } });
        var connectionString = await server.CreateDatabaseAsync();
        await using var ably = await LocalAblyServer.StartAsync(new LocalAblyOptions { ApiKeys = { ConnectorHarness.ApiKey } });
        await using (var db = new NpgsqlConnection(connectionString))
        {
            await db.OpenAsync();
            await using var create = new NpgsqlCommand(Schemas.Users, db);
            await create.ExecuteNonQueryAsync();
        }

        var options = new ConnectorOptions
        {
            ConnectionString = connectionString,
            Capture = CaptureMode.LogicalReplication,
            Ably = { ApiKey = ConnectorHarness.ApiKey, RestHost = "127.0.0.1", Port = ably.Port, Tls = false },
        };
        options.Tables.Add(AblyPgTables.User);
        await using var connector = new AblyPgTyped.Connector(options);
        var error = await Assert.ThrowsAsync<ConnectorStartException>(() => connector.StartAsync());

        Assert.StartsWith("Logical replication capture needs wal_level = logical, and the server has wal_level = replica.", error.Message, StringComparison.Ordinal);
        Assert.Contains("or use Capture = Triggers", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_DDL_a_DBA_applies_by_hand_is_what_the_connector_would_install()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, CaptureMode.LogicalReplication, Schemas.Users, Notes);
        var options = h.Options(AblyPgTables.User, AblyPgTables.Note);
        var sql = new AblyPgTyped.Connector(options).GetInstallSql();
        Assert.Contains("CREATE PUBLICATION \"ablypg_insert_update_delete\" WITH (publish = 'insert, update, delete', publish_via_partition_root = true);", sql, StringComparison.Ordinal);
        Assert.Contains("pg_create_logical_replication_slot('ablypg_", sql, StringComparison.Ordinal);
        Assert.DoesNotContain("CREATE TRIGGER", sql, StringComparison.Ordinal);

        // As psql -f runs it: the slot is created last, outside the transaction that wrote everything else.
        var slot = sql.IndexOf("-- The replication slot", StringComparison.Ordinal);
        await h.ExecuteAsync(sql[..slot]);
        await h.ExecuteAsync(sql[slot..]);
        await h.ExecuteAsync(sql[..slot]); // applying it again changes nothing
        await h.ExecuteAsync(sql[slot..]);
        Assert.Equal("f", await h.ScalarAsync<string>("SELECT relreplident::text FROM pg_class WHERE oid = 'users'::regclass"));
        Assert.Equal("d", await h.ScalarAsync<string>("SELECT relreplident::text FROM pg_class WHERE oid = 'notes'::regclass"));
        await h.StartConnectorAsync(options);
        await h.ExecuteAsync("""INSERT INTO notes VALUES (1, 'after a DBA installed it', NULL, NULL)""");

        Assert.Single(await h.WaitForMessagesAsync(1));
        Assert.DoesNotContain(h.Logs.Entries, e => e.EventId == 1150); // the DBA's slot was used
    }

    [Fact]
    public async Task The_slot_lag_is_measured_on_the_AblyPgTyped_meter()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, CaptureMode.LogicalReplication, Schemas.Users);
        await h.StartConnectorAsync(h.Options(AblyPgTables.User));
        var slot = await h.ScalarAsync<string>("SELECT slot_name::text FROM pg_replication_slots WHERE database = current_database()");
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, double>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "AblyPgTyped")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument.Name, value, tags));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument.Name, value, tags));
        listener.Start();

        await Eventually(() =>
        {
            listener.RecordObservableInstruments(); // the stream starts in the background
            return seen.ContainsKey("ablypg.replication_slot.lag");
        });

        Assert.Equal(0, seen["ablypg.replication_slot.lag_time"]);

        void Record(string name, double value, ReadOnlySpan<System.Collections.Generic.KeyValuePair<string, object?>> tags)
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "ablypg.replication_slot" && (string?)tag.Value == slot)
                {
                    seen[name] = value;
                }
            }
        }
    }

    [Fact]
    public async Task A_slot_dropped_by_hand_is_reported_and_created_again()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, CaptureMode.LogicalReplication, Schemas.Users);
        var options = h.Options(AblyPgTables.User);
        await h.StartConnectorAsync(options);
        await h.ExecuteAsync("""INSERT INTO users VALUES (1, 'before', NULL)""");
        await h.WaitForMessagesAsync(1);

        await Eventually(async () =>
        {
            try
            {
                await h.ExecuteAsync(
                    "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = current_database() AND active_pid IS NOT NULL; " +
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = current_database()");
                return await h.ScalarAsync<long>("SELECT count(*) FROM pg_replication_slots WHERE database = current_database()") == 0;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ObjectInUse)
            {
                return false;
            }
        });

        await Eventually(() => h.Logs.Entries.Any(e => e.EventId == 1151));
        await Eventually(async () => await h.ScalarAsync<long>("SELECT count(*) FROM pg_replication_slots WHERE database = current_database() AND active") == 1, seconds: 30);
        await h.ExecuteAsync("""INSERT INTO users VALUES (2, 'after', NULL)""");
        var messages = await h.WaitForMessagesAsync(2);

        Assert.Equal("after", AblyPgTables.User.ReadChanges(messages[1].DataString!).Single().New!.Name);
        Assert.Contains(h.Logs.Entries, e => e.EventId == 1002); // the stream's end was logged, and the connector went on
    }

    private static async Task<string[]> ReasonsAsync(ConnectorHarness h)
    {
        await using var command = h.Database.CreateCommand("SELECT reason FROM ablypg.dead_letters ORDER BY change_id, change_index");
        await using var reader = await command.ExecuteReaderAsync();
        var reasons = new System.Collections.Generic.List<string>();
        while (await reader.ReadAsync())
        {
            reasons.Add(reader.GetString(0));
        }

        return [.. reasons];
    }
}
