using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using AblyPgTyped.Tests.Config;
using AblyPgTyped.Tests.Connectors.Logical;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Npgsql;
using Xunit;
using static AblyPgTyped.Tests.Connectors.DeliveryTests;

namespace AblyPgTyped.Tests.Connectors;

/// <summary>Capture never makes the application's statement fail or wait (issue 9).</summary>
[Collection(PostgresCollection.Name)]
public sealed class CaptureSafetyTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Renaming_or_dropping_a_mapped_column_never_fails_the_applications_writes()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, SafetySchemas.Parcels);
        var connector = await h.StartConnectorAsync(h.Options(AblyPgTables.Parcel));
        await h.ExecuteAsync("INSERT INTO parcels (id, n, weight) VALUES (1, 1, 2.5)");
        await h.WaitForMessagesAsync(1);

        // With the connector running, then with it stopped: the application's writes go on either way.
        await h.ExecuteAsync("ALTER TABLE parcels RENAME COLUMN weight TO weight_kg");
        await h.ExecuteAsync("INSERT INTO parcels (id, n, weight_kg) VALUES (2, 2, 3.5), (3, 3, 4.5)");
        await h.ExecuteAsync("UPDATE parcels SET weight_kg = 5 WHERE id = 2");
        await h.ExecuteAsync("DELETE FROM parcels WHERE id = 3");
        await connector.StopAsync();
        await h.ExecuteAsync("ALTER TABLE parcels DROP COLUMN o");
        await h.ExecuteAsync("INSERT INTO parcels (id, n) VALUES (4, 4)");
        await h.ExecuteAsync("UPDATE parcels SET n = 40 WHERE id = 4");

        // The connector reports each change it cannot publish, naming the missing column.
        await h.ExecuteAsync("ALTER TABLE parcels RENAME COLUMN weight_kg TO weight; ALTER TABLE parcels ADD COLUMN o text");
        await h.StartConnectorAsync(h.Options(AblyPgTables.Parcel));
        await Eventually(async () => await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.dead_letters") == 6);
        var reasons = await ReasonsAsync(h);
        const string Prefix = "not captured: capture could not read the row: ";
        Assert.Equal(
            [
                Prefix + "column t.weight does not exist", Prefix + "column t.weight does not exist",
                Prefix + "record \"old\" has no field \"weight\"", Prefix + "column t.weight does not exist",
                Prefix + "column t.o does not exist", Prefix + "record \"old\" has no field \"o\"",
            ],
            reasons);

        // Once the table fits the mapping again, changes flow as before.
        await h.ExecuteAsync("INSERT INTO parcels (id, n, weight) VALUES (5, 5, 6.5)");
        var last = (await h.WaitForMessagesAsync(2)).Last();
        Assert.Equal(6.5m, AblyPgTables.Parcel.ReadChanges(last.DataString!).Single().New!.Weight);
    }

    [Fact]
    public async Task Changing_a_mapped_columns_type_never_fails_the_applications_writes()
    {
        // bytea is captured through encode() and interval through extract(): once a column's type changes under them,
        // planning the capture's read fails with an unknown function, where it used to fail the application's write.
        await using var h = await ConnectorHarness.StartAsync(postgres, EveryTypeSchemas.EveryType);
        await (await h.StartConnectorAsync(h.Options(AblyPgTables.EveryType))).StopAsync();

        await h.ExecuteAsync("""ALTER TABLE every_type ALTER COLUMN "Bytes" TYPE text USING encode("Bytes", 'hex'), ALTER COLUMN "TimeSpan" TYPE text""");
        await h.ExecuteAsync("""INSERT INTO every_type ("Id", "Bytes", "TimeSpan") VALUES (1, 'ab', '1 day'), (2, 'cd', NULL)""");
        await h.ExecuteAsync("""UPDATE every_type SET "Int" = 3 WHERE "Id" = 1""");
        await h.ExecuteAsync("""DELETE FROM every_type WHERE "Id" = 2""");

        // Each change is recorded as a note naming what failed, which the connector dead-letters once it can start.
        var notes = new List<string>();
        await using (var command = h.Database.CreateCommand("SELECT n, data::text FROM ablypg.changes ORDER BY id"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                notes.Add(reader.GetInt32(0) + " " + reader.GetString(1));
            }
        }

        Assert.Equal(3, notes.Count);
        Assert.All(notes, n => Assert.Contains("capture could not read the row: function pg_catalog.", n));
        Assert.StartsWith("2 ", notes[0]);

        // The start-up check names the column whose type no longer fits.
        await using var connector = new Connector(h.Options(AblyPgTables.EveryType));
        var error = await Assert.ThrowsAsync<ConnectorStartException>(() => connector.StartAsync());
        Assert.Contains("column \"Bytes\" of \"public\".\"every_type\" is text", error.Message);
    }

    [Fact]
    public async Task Columns_named_like_the_triggers_own_names_are_captured_exactly()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, SafetySchemas.Parcels);
        await h.StartConnectorAsync(h.Options(AblyPgTables.Parcel));

        await h.ExecuteAsync("""
            INSERT INTO parcels VALUES (1, 10, 'o1', 'r1', 'd1', 11, 12, 'j1', 'ad1', 13, 'ap1', 1.5, 'unmapped');
            UPDATE parcels SET n = 20, o = 'o2', r = 'r2', data = 'd2', ablypg_data = 'ad2' WHERE id = 1;
            DELETE FROM parcels WHERE id = 1;
            """);
        var changes = (await h.WaitForMessagesAsync(3)).SelectMany(m => AblyPgTables.Parcel.ReadChanges(m.DataString!)).ToList();

        Assert.Equal([ChangeKind.Insert, ChangeKind.Update, ChangeKind.Delete], changes.Select(c => c.Kind));
        Assert.Equal(new Parcel(1, 10, "o1", "r1", "d1", 11, 12, "j1", "ad1", 13, "ap1", 1.5m), changes[0].New);
        Assert.Equal(changes[0].New, changes[1].Old);
        Assert.Equal(new Parcel(1, 20, "o2", "r2", "d2", 11, 12, "j1", "ad2", 13, "ap1", 1.5m), changes[1].New);
        Assert.Equal(changes[1].New, changes[2].Old);
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.dead_letters"));
    }

    [Fact]
    public async Task A_config_file_table_with_a_json_column_named_n_is_published_as_the_whole_row()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, "CREATE TABLE users (id integer, n jsonb, r text, o text)");
        using var folder = new ConfigFolder();
        var path = folder.WriteJsonExample("all-operations/default.json", ConfigTarget.Of(h));
        await using var connector = new Connector(path, h.Logs);
        await connector.StartAsync();

        await h.ExecuteAsync("""
            INSERT INTO users VALUES (1, '{"not": "the row"}', 'r', 'o');
            UPDATE users SET r = 'r2';
            DELETE FROM users;
            """);
        // Three channels, one per operation: no order between them, so each row is taken by its operation's name.
        var messages = (await h.WaitForMessagesAsync(3)).OrderBy(m => m.Name, StringComparer.Ordinal).ToList();
        Assert.Equal(["delete", "insert", "update"], messages.Select(m => m.Name));

        var rows = messages.Select(m => JsonDocument.Parse(m.DataString!).RootElement).Select(d => d.TryGetProperty("new", out var n) ? n : d.GetProperty("old")).ToList();
        Assert.All(rows, row => Assert.Equal(1, row.GetProperty("id").GetInt32()));
        Assert.All(rows, row => Assert.Equal("the row", row.GetProperty("n").GetProperty("not").GetString()));
        Assert.Equal(["r2", "r", "r2"], rows.Select(r => r.GetProperty("r").GetString()));
    }

    [Fact]
    public async Task A_partitioned_table_is_captured_under_its_own_name_including_rows_that_move_partitions()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, SafetySchemas.Shipments);
        await h.StartConnectorAsync(h.Options(AblyPgTables.Shipment));

        await h.ExecuteAsync("""INSERT INTO shipments VALUES (1, 'eu', 1), (2, 'us', 2)""");
        await h.ExecuteAsync("""INSERT INTO shipments_eu VALUES (3, 'eu', 3)"""); // names a partition
        await h.ExecuteAsync("""UPDATE shipments SET "Qty" = 10 WHERE "Id" = 1""");
        await h.ExecuteAsync("""UPDATE shipments SET "Region" = 'us', "Qty" = 11 WHERE "Id" = 1"""); // moves
        await h.ExecuteAsync("""UPDATE shipments_us SET "Qty" = 20 WHERE "Id" = 2""");
        await h.ExecuteAsync("""DELETE FROM shipments WHERE "Id" = 3""");
        await h.ExecuteAsync("""CREATE TABLE shipments_ap PARTITION OF shipments FOR VALUES IN ('ap')""");
        await h.ExecuteAsync("""INSERT INTO shipments VALUES (4, 'ap', 4)"""); // a partition created after install

        var messages = await h.WaitForMessagesAsync(9);
        var changes = messages.SelectMany(m => AblyPgTables.Shipment.ReadChanges(m.DataString!)).ToList();
        Assert.All(changes, c => Assert.Equal(("public", "shipments"), (c.Schema, c.Table)));
        Assert.Equal(
            [
                "Insert 1 eu 1", "Insert 2 us 2", "Insert 3 eu 3", "Update 1 eu 10", "Delete 1 eu 10", "Insert 1 us 11",
                "Update 2 us 20", "Delete 3 eu 3", "Insert 4 ap 4",
            ],
            changes.Select(c => $"{c.Kind} {c.Row.Id} {c.Row.Region} {c.Row.Qty}"));
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.dead_letters"));
    }

    [Fact]
    public async Task A_writer_idle_in_its_transaction_delays_no_one_else()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        var options = h.Options(AblyPgTables.User);
        options.MaxChangesPerMessage = new ConnectorOptions().MaxChangesPerMessage; // bundling as by default: 100 changes exceed one channel's 50 messages/s
        await h.StartConnectorAsync(options);
        await Eventually(async () => await h.ScalarAsync<bool>("SELECT armed FROM ablypg.wakeup"));

        // The idle writer's trigger saw the flag armed; it sits in its transaction for the rest of the test.
        await using var idle = await h.Database.OpenConnectionAsync();
        await using var transaction = await idle.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand("""INSERT INTO users VALUES (0, 'idle', NULL)""", idle, transaction))
        {
            await insert.ExecuteNonQueryAsync();
        }

        var clock = Stopwatch.StartNew();
        for (var i = 1; i <= 100; i++)
        {
            await h.ExecuteAsync("""INSERT INTO users VALUES ($1, 'busy', NULL)""", i);
        }

        var lastCommit = clock.Elapsed;
        await Eventually(() => Changes(h) >= 100, seconds: 10);
        var published = clock.Elapsed;
        Assert.True(published - lastCommit < TimeSpan.FromSeconds(1), $"the 100th change was published {published - lastCommit} after its commit");

        await transaction.CommitAsync();
        await Eventually(() => Changes(h) == 101);
    }

    [Fact]
    public async Task A_bulk_insert_of_rows_too_large_to_publish_succeeds_and_its_changes_are_dead_lettered()
    {
        // The original's configuration captures whole rows: 1000 rows of 544 KB bytea render as about 1.1 GB of
        // JSON, past PostgreSQL's 1 GB limit for one value, which used to fail the application's INSERT.
        await using var h = await ConnectorHarness.StartAsync(postgres, "CREATE TABLE users (id integer, name text, payload bytea)");
        using var folder = new ConfigFolder();
        var path = folder.WriteJsonExample("all-operations/default.json", ConfigTarget.Of(h));
        await using var connector = new Connector(path, h.Logs);
        await connector.StartAsync();

        var clock = Stopwatch.StartNew();
        await using (var insert = h.Database.CreateCommand("""
            INSERT INTO users
            SELECT g, 'u' || g, decode(repeat(lpad(to_hex(g % 256), 2, '0'), 544 * 1024), 'hex') FROM generate_series(1, 1000) g
            """))
        {
            insert.CommandTimeout = 600;
            await insert.ExecuteNonQueryAsync();
        }

        Console.WriteLine($"1000 x 544 KB INSERT: {clock.Elapsed}");
        // A small statement takes a shorter path, which renders its rows one by one only when together they pass the
        // limit: its large row is noted alone, its small ones published.
        await h.ExecuteAsync("""
            INSERT INTO users VALUES (1001, 'small', '\x01'), (1002, 'large', decode(repeat('ab', 544 * 1024), 'hex')), (1003, 'also small', '\x02')
            """);

        var messages = await h.WaitForMessagesAsync(2, seconds: 60);
        Assert.Equal(["also small", "small"], messages.Select(m => JsonDocument.Parse(m.DataString!).RootElement.GetProperty("new").GetProperty("name").GetString()).Order());
        await Eventually(async () => await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.dead_letters") == 1001, seconds: 60);
        Assert.All(await ReasonsAsync(h), r => Assert.Matches(
            "^not captured: the row is 11141[0-9]{2} bytes of JSON; capture records rows of up to 1048576 bytes$", r));
    }

    [Fact]
    public async Task A_large_statement_is_split_by_bytes_as_well_as_rows()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        await (await h.StartConnectorAsync(h.Options(AblyPgTables.User))).StopAsync();

        // 300 rows of about 200 KB: 60 MB of JSON in one statement, cut into store rows of at most about 16 MiB.
        await h.ExecuteAsync("""INSERT INTO users SELECT g, 'u' || g, repeat('x', 200000) FROM generate_series(1, 300) g""");
        var sizes = new List<(int N, long Bytes)>();
        await using (var command = h.Database.CreateCommand("SELECT n, octet_length(data::text) FROM ablypg.changes ORDER BY id"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                sizes.Add((reader.GetInt32(0), reader.GetInt64(1)));
            }
        }

        Assert.Equal(300, sizes.Sum(s => s.N));
        Assert.True(sizes.Count >= 4, $"{sizes.Count} store rows");
        Assert.All(sizes, s => Assert.True(s.Bytes <= 16 * 1024 * 1024 + 250_000, $"a store row of {s.Bytes} bytes"));

        // Each change is larger than a message may be: all are dead-lettered, none fails the drain.
        await h.StartConnectorAsync(h.Options(AblyPgTables.User));
        await Eventually(async () => await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.dead_letters") == 300, seconds: 60);
        await Eventually(async () => await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.changes") == 0);
    }

    [Fact]
    public async Task Functions_operators_and_types_on_a_writers_search_path_never_run_inside_capture()
    {
        // The capture functions run as their owner but with the writer's search_path: a writer that puts its own schema
        // first must not get its look-alikes of what the functions call run with the owner's rights.
        await using var h = await ConnectorHarness.StartAsync(postgres, SafetySchemas.Parcels, HijackingSchema);
        await h.StartConnectorAsync(h.Options(AblyPgTables.Parcel));

        await h.ExecuteAsync("""
            SET search_path = hijack, pg_catalog, public;
            INSERT INTO parcels (id, n, o, weight) VALUES (1, 10, 'one', 1.5);
            INSERT INTO parcels (id, n) SELECT g, g FROM generate_series(2, 151) g;
            UPDATE parcels SET o = 'uno' WHERE id = 1;
            DELETE FROM parcels WHERE id = 2;
            ALTER TABLE parcels RENAME COLUMN weight TO weight_kg;
            INSERT INTO parcels (id, n) VALUES (200, 200);
            ALTER TABLE parcels RENAME COLUMN weight_kg TO weight;
            RESET search_path;
            """);

        await Eventually(() => Task.FromResult(h.Ably.GetMessages().Sum(m => AblyPgTables.Parcel.ReadChanges(m.DataString!).Count) == 153));
        var changes = h.Ably.GetMessages().SelectMany(m => AblyPgTables.Parcel.ReadChanges(m.DataString!)).ToList();
        Assert.Equal(new Parcel(1, 10, "one", null, null, null, null, null, null, null, null, 1.5m), changes.First(c => c.Kind == ChangeKind.Insert).New);
        Assert.Equal("uno", changes.Single(c => c.Kind == ChangeKind.Update).New!.O);
        Assert.Equal(2, changes.Single(c => c.Kind == ChangeKind.Delete).Old!.Id);
        await Eventually(async () => await h.ScalarAsync<long>("SELECT count(*) FROM ablypg.dead_letters") == 1);
        Assert.Equal(["not captured: capture could not read the row: column t.weight does not exist"], await ReasonsAsync(h));
    }

    /// <summary>
    /// Look-alikes, each failing the statement that calls it, of functions, operators and types the capture functions
    /// use, with the same argument types, so that a caller's path that puts them first would pick them.
    /// </summary>
    private const string HijackingSchema = """
        CREATE SCHEMA hijack;
        CREATE FUNCTION hijack.boom(what text) RETURNS void LANGUAGE plpgsql
            AS $$ BEGIN RAISE EXCEPTION 'capture ran hijack.%', what; END $$;
        CREATE FUNCTION hijack.to_json(anyelement) RETURNS pg_catalog.json LANGUAGE plpgsql
            AS $$ BEGIN PERFORM hijack.boom('to_json'); RETURN NULL; END $$;
        CREATE FUNCTION hijack.octet_length(pg_catalog.text) RETURNS int LANGUAGE plpgsql
            AS $$ BEGIN PERFORM hijack.boom('octet_length'); RETURN 0; END $$;
        CREATE FUNCTION hijack.pg_notify(pg_catalog.text, pg_catalog.text) RETURNS void LANGUAGE plpgsql
            AS $$ BEGIN PERFORM hijack.boom('pg_notify'); END $$;
        CREATE FUNCTION hijack.generate_series(int, bigint) RETURNS SETOF bigint LANGUAGE plpgsql
            AS $$ BEGIN PERFORM hijack.boom('generate_series'); END $$;
        CREATE FUNCTION hijack.count_step(bigint) RETURNS bigint LANGUAGE plpgsql
            AS $$ BEGIN PERFORM hijack.boom('count'); RETURN 0; END $$;
        CREATE AGGREGATE hijack.count(*) (sfunc = hijack.count_step, stype = bigint, initcond = '0');
        CREATE FUNCTION hijack.json_agg_step(pg_catalog.json, anyelement) RETURNS pg_catalog.json LANGUAGE plpgsql
            AS $$ BEGIN PERFORM hijack.boom('json_agg'); RETURN NULL; END $$;
        CREATE AGGREGATE hijack.json_agg(anyelement) (sfunc = hijack.json_agg_step, stype = pg_catalog.json);
        CREATE FUNCTION hijack.text_eq(pg_catalog.text, pg_catalog.text) RETURNS boolean LANGUAGE plpgsql
            AS $$ BEGIN PERFORM hijack.boom('='); RETURN false; END $$;
        CREATE OPERATOR hijack.= (leftarg = pg_catalog.text, rightarg = pg_catalog.text, function = hijack.text_eq);
        CREATE FUNCTION hijack.int_le(int, int) RETURNS boolean LANGUAGE plpgsql
            AS $$ BEGIN PERFORM hijack.boom('<='); RETURN false; END $$;
        CREATE OPERATOR hijack.<= (leftarg = int, rightarg = int, function = hijack.int_le);
        CREATE FUNCTION hijack.bigint_int_compare(bigint, int) RETURNS boolean LANGUAGE plpgsql
            AS $$ BEGIN PERFORM hijack.boom('a comparison'); RETURN false; END $$;
        CREATE OPERATOR hijack.> (leftarg = bigint, rightarg = int, function = hijack.bigint_int_compare);
        CREATE OPERATOR hijack.<= (leftarg = bigint, rightarg = int, function = hijack.bigint_int_compare);
        CREATE FUNCTION hijack.bigint_int_arithmetic(bigint, int) RETURNS bigint LANGUAGE plpgsql
            AS $$ BEGIN PERFORM hijack.boom('arithmetic'); RETURN 0; END $$;
        CREATE OPERATOR hijack.- (leftarg = bigint, rightarg = int, function = hijack.bigint_int_arithmetic);
        CREATE OPERATOR hijack./ (leftarg = bigint, rightarg = int, function = hijack.bigint_int_arithmetic);
        CREATE DOMAIN hijack.json AS int CHECK (VALUE IS NULL);
        CREATE DOMAIN hijack.text AS int CHECK (VALUE IS NULL);
        """;

    private static int Changes(ConnectorHarness h) => h.Ably.GetMessages().Sum(m => AblyPgTables.User.ReadChanges(m.DataString!).Count);

    private static async Task<List<string>> ReasonsAsync(ConnectorHarness h)
    {
        var reasons = new List<string>();
        await using var command = h.Database.CreateCommand("SELECT reason FROM ablypg.dead_letters ORDER BY id");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            reasons.Add(reader.GetString(0));
        }

        return reasons;
    }
}
