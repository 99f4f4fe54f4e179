using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using AblyPgTyped.Capture;
using AblyPgTyped.Generators.Tests.Mapped;
using AblyPgTyped.Tests.Shared;
using Npgsql;
using Xunit;

namespace AblyPgTyped.Generators.Tests;

/// <summary>The emitted DDL applied to a real PostgreSQL server.</summary>
[Collection(PostgresCollection.Name)]
public sealed class CaptureDdlTests(PostgresFixture postgres)
{
    private const string AllTypesTable = """
        CREATE TYPE mood AS ENUM ('calm', 'happy', 'grumpy');
        CREATE TABLE all_types (
            "Id" bigint PRIMARY KEY, "Flag" boolean, "Byte" smallint, "SByte" smallint, "Short" smallint, "UShort" integer,
            "Int" integer, "UInt" bigint, "ULong" numeric(20), "Float" real, "Double" double precision, "Decimal" numeric,
            "Text" text, "NullableText" text, "Char" char(1), "Guid" uuid, "DateTime" timestamptz, "DateTimeOffset" timestamptz,
            "DateOnly" date, "TimeOnly" time, "TimeSpan" interval, "Bytes" bytea, "NullableBytes" bytea, "Mood" mood,
            "Wide" numeric(20), "Json" jsonb, "Document" json, "NullableInt" integer, "NullableLong" bigint,
            "NullableDecimal" numeric, "NullableGuid" uuid, "NullableDateTime" timestamp, "NullableTimeSpan" interval,
            "NullableMood" integer, "NullableFlag" boolean, "Ints" integer[], "Strings" text[], "NullableLongs" bigint[],
            "Moods" text[], "MaybeStrings" text[], "Instants" timestamptz[], "PasswordHash" text
        );
        """;

    private const string InsertAllTypes = """
        INSERT INTO all_types VALUES (
            9223372036854775807, true, 255, -128, -32768, 65535, -2147483648, 4294967295, 18446744073709551615, 1.5,
            'Infinity', 12345678901234567890.123456789, 'héllo 🌍 "q" \ end', NULL, 'é', '6f9619ff-8b86-d011-b42d-00c04fc964ff',
            '2024-02-29 23:59:59.123456+05:30', '2024-02-29 23:59:59.123456+00', '2024-02-29', '13:14:15.5',
            '1 day 01:01:01.000001', '\x0001020aff', NULL, 'grumpy', 18446744073709551615, '{"a": [1, {"b": null}], "é": "🎉"}',
            '[true, 1.0]', NULL, 9007199254740993, 0.10, NULL, '2024-01-01 00:00:00', '-00:00:00.5', 7, false,
            '{1,2,3}', '{"a","é"}', '{1,NULL,9007199254740993}', '{calm,HAPPY}', '{NULL,"z"}', '{"2020-01-01 00:00:00+00"}',
            'SECRET-HASH');
        """;

    [Fact]
    public async Task Captures_every_supported_type_whatever_the_session_settings_and_the_mapper_reads_it()
    {
        await using var db = await postgres.OpenFreshDatabaseAsync();
        await ExecuteAsync(db, AllTypesTable + CaptureSql.InstallStore(CaptureSql.DefaultSchema) + AllTypesAblyTable.InstallSql);

        // Settings that change PostgreSQL's text renderings: the capture must not depend on them.
        await ExecuteAsync(db, "SET TimeZone = 'Pacific/Chatham'; SET IntervalStyle = 'sql_standard'; SET bytea_output = 'escape'; SET DateStyle = 'SQL, DMY';");
        await ExecuteAsync(db, InsertAllTypes);
        await ExecuteAsync(db, """UPDATE all_types SET "Int" = 5, "PasswordHash" = 'NEW-SECRET'""");
        await ExecuteAsync(db, "DELETE FROM all_types");

        var changes = await ReadChangesAsync(db);
        Assert.Equal(["I", "U", "D"], changes.Select(c => c.Op));
        Assert.All(changes, c => Assert.Equal(("public", "all_types"), (c.Schema, c.Table)));
        Assert.DoesNotContain(changes, c => c.Data.Contains("SECRET", StringComparison.Ordinal));

        var inserted = AblyPgTables.AllTypes.Read(Element(changes[0].Data, 0));
        Assert.Equal(long.MaxValue, inserted.Id);
        Assert.Equal(ulong.MaxValue, inserted.ULong);
        Assert.True(double.IsPositiveInfinity(inserted.Double));
        Assert.Equal(12345678901234567890.123456789m, inserted.Decimal);
        Assert.Equal("héllo 🌍 \"q\" \\ end", inserted.Text);
        Assert.Equal('é', inserted.Char);
        Assert.Equal(new DateTime(2024, 2, 29, 18, 29, 59, 123, DateTimeKind.Utc).AddTicks(4560), inserted.DateTime);
        Assert.Equal(new DateTimeOffset(2024, 2, 29, 23, 59, 59, 123, TimeSpan.Zero).AddTicks(4560), inserted.DateTimeOffset);
        Assert.Equal(new DateOnly(2024, 2, 29), inserted.DateOnly);
        Assert.Equal(new TimeOnly(13, 14, 15, 500), inserted.TimeOnly);
        Assert.Equal(new TimeSpan(1, 1, 1, 1).Add(TimeSpan.FromTicks(10)), inserted.TimeSpan);
        Assert.Equal(new byte[] { 0, 1, 2, 10, 255 }, inserted.Bytes);
        Assert.Null(inserted.NullableBytes);
        Assert.Equal(Mood.Grumpy, inserted.Mood);
        Assert.Equal(Wide.Huge, inserted.Wide);
        Assert.Equal("🎉", inserted.Json.GetProperty("é").GetString());
        Assert.Equal(1.0m, inserted.Document!.RootElement[1].GetDecimal());
        Assert.Equal(9007199254740993L, inserted.NullableLong);
        Assert.Equal(DateTimeKind.Unspecified, inserted.NullableDateTime!.Value.Kind);
        Assert.Equal(TimeSpan.FromMilliseconds(-500), inserted.NullableTimeSpan);
        Assert.Equal(Mood.Grumpy, inserted.NullableMood);
        Assert.Equal([1, 2, 3], inserted.Ints);
        Assert.Equal([1L, null, 9007199254740993L], inserted.NullableLongs!);
        Assert.Equal([Mood.Calm, Mood.Happy], inserted.Moods);
        Assert.Equal([DateTimeOffset.Parse("2020-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture)], inserted.Instants);

        using var pair = JsonDocument.Parse(changes[1].Data);
        var oldRow = AblyPgTables.AllTypes.Read(Encoding.UTF8.GetBytes(pair.RootElement[0][0].GetRawText()));
        var newRow = AblyPgTables.AllTypes.Read(Encoding.UTF8.GetBytes(pair.RootElement[0][1].GetRawText()));
        Assert.Equal((-2147483648, 5), (oldRow.Int, newRow.Int));

        var deleted = AblyPgTables.AllTypes.Read(Element(changes[2].Data, 0));
        Assert.Equal((long.MaxValue, 5), (deleted.Id, deleted.Int));
    }

    [Fact]
    public async Task Awkward_names_install_rerun_as_a_no_op_and_uninstall_without_a_trace()
    {
        await using var db = await postgres.OpenFreshDatabaseAsync();
        const string captureSchema = "capture \"$ablypg$\" 'x'";
        await ExecuteAsync(db, """"
            CREATE SCHEMA "Sales Data";
            CREATE TABLE "Sales Data"."Order Lines" ("order id" uuid, "line" int, "unit ""price""" numeric, "Note" text, "Secret" text, PRIMARY KEY ("order id", "line"));
            CREATE SCHEMA "user";
            CREATE TABLE "user"."select" ("Id" int PRIMARY KEY, "Region" text, "from" timestamptz);
            CREATE TABLE public.users ("Id" int, "Name" text);
            """");
        var tables = new AblyTable[] { AblyPgTables.OrderLine, AblyPgTables.Event, AblyPgTables.User };
        var install = CaptureSql.InstallStore(captureSchema) + string.Concat(tables.Select(t => t.GetInstallSql(captureSchema)));

        await ExecuteAsync(db, install);
        var installed = await CatalogSnapshotAsync(db, captureSchema);
        await ExecuteAsync(db, install);
        Assert.Equal(installed, await CatalogSnapshotAsync(db, captureSchema));
        Assert.Equal(2 + 2 + 3, installed.Count(l => l.StartsWith("trigger ", StringComparison.Ordinal)));

        await ExecuteAsync(db, """"
            INSERT INTO "Sales Data"."Order Lines" VALUES ('00000000-0000-0000-0000-000000000001', 1, 2.50, 'n', 's');
            UPDATE "Sales Data"."Order Lines" SET "unit ""price""" = 3;
            INSERT INTO "user"."select" ("Id", "Region") SELECT g, 'eu' FROM generate_series(1, 2500) g;
            DELETE FROM "user"."select" WHERE "Id" <= 10;
            INSERT INTO public.users VALUES (1, 'a'), (1, 'a');
            """");
        var changes = await ReadChangesAsync(db, captureSchema);

        // The order line's insert is not mapped; 2500 inserted rows arrive as three chunks of at most 1000.
        Assert.Equal(
            ["Sales Data.Order Lines U", "user.select I", "user.select I", "user.select I", "user.select D", "public.users I"],
            changes.Select(c => $"{c.Schema}.{c.Table} {c.Op}"));
        Assert.Equal([1000, 1000, 500], changes.Where(c => c.Table == "select" && c.Op == "I").Select(c => JsonDocument.Parse(c.Data).RootElement.GetArrayLength()));
        using (var update = JsonDocument.Parse(changes[0].Data))
        {
            var newLine = AblyPgTables.OrderLine.Read(Encoding.UTF8.GetBytes(update.RootElement[0][1].GetRawText()));
            Assert.Equal((1, 3m, "n"), (newLine.LineNumber, newLine.UnitPrice, newLine.Note));
            Assert.DoesNotContain("\"Secret\"", changes[0].Data, StringComparison.Ordinal);
        }

        await ExecuteAsync(db, string.Concat(tables.Select(t => t.GetUninstallSql(captureSchema))));
        await ExecuteAsync(db, string.Concat(tables.Select(t => t.GetUninstallSql(captureSchema))));
        Assert.DoesNotContain(await CatalogSnapshotAsync(db, captureSchema), l => l.StartsWith("trigger ", StringComparison.Ordinal) || l.StartsWith("function ", StringComparison.Ordinal));

        await ExecuteAsync(db, CaptureSql.UninstallStore(captureSchema));
        Assert.Empty(await CatalogSnapshotAsync(db, captureSchema));
        await ExecuteAsync(db, """INSERT INTO "user"."select" ("Id") VALUES (100000)""");
    }

    [Fact]
    public async Task Reinstalling_with_fewer_operations_drops_the_removed_triggers()
    {
        await using var db = await postgres.OpenFreshDatabaseAsync();
        await ExecuteAsync(db, """CREATE TABLE users ("Id" int PRIMARY KEY, "Name" text);""" + CaptureSql.InstallStore("ablypg") + UserAblyTable.InstallSql);
        Assert.Equal(3, (await CatalogSnapshotAsync(db, "ablypg")).Count(l => l.StartsWith("trigger ", StringComparison.Ordinal)));

        var insertOnly = new TableCapture("public", "users", [new CapturedColumn("Id", ColumnCapture.Value)], insert: true, update: false, delete: false);
        await ExecuteAsync(db, CaptureSql.InstallTable("ablypg", insertOnly));

        Assert.Equal(["trigger users ablypg_capture_insert"], (await CatalogSnapshotAsync(db, "ablypg")).Where(l => l.StartsWith("trigger ", StringComparison.Ordinal)).Select(l => string.Join(' ', l.Split(' ').Take(3))));
    }

    [Fact]
    public async Task A_snake_case_mapping_captures_a_table_created_with_unquoted_names()
    {
        await using var db = await postgres.OpenFreshDatabaseAsync();
        await ExecuteAsync(db, """CREATE TABLE orders (order_id int, customer_id int, "HTTP" int);""" + CaptureSql.InstallStore(CaptureSql.DefaultSchema) + SnakeCaseOrderAblyTable.InstallSql);

        await ExecuteAsync(db, """INSERT INTO Orders (Order_ID, Customer_ID, "HTTP") VALUES (1, 7, 200)""");

        var change = Assert.Single(await ReadChangesAsync(db));
        Assert.Equal("""[{"order_id":1,"customer_id":7,"HTTP":200}]""", change.Data.Replace(" ", "", StringComparison.Ordinal));
        Assert.Equal(new SnakeCaseOrder(1, 7, 200), AblyPgTables.SnakeCaseOrder.Read(Element(change.Data, 0)));
    }

    [Fact]
    public async Task Installing_for_a_missing_table_fails_clearly_and_changes_nothing()
    {
        await using var db = await postgres.OpenFreshDatabaseAsync();
        await ExecuteAsync(db, CaptureSql.InstallStore("ablypg"));

        var error = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var tx = await db.BeginTransactionAsync();
            await ExecuteAsync(db, UserAblyTable.InstallSql);
        });

        Assert.Equal(PostgresErrorCodes.UndefinedTable, error.SqlState);
        Assert.Contains("public.users", error.MessageText, StringComparison.Ordinal);
    }

    private static async Task ExecuteAsync(NpgsqlConnection db, string sql)
    {
        await using var command = new NpgsqlCommand(sql, db);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<List<(string Schema, string Table, string Op, string Data)>> ReadChangesAsync(NpgsqlConnection db, string captureSchema = CaptureSql.DefaultSchema)
    {
        var rows = new List<(string, string, string, string)>();
        await using var command = new NpgsqlCommand($"SELECT table_schema, table_name, op::text, data::text FROM {CaptureSql.QualifiedName(captureSchema, CaptureSql.ChangesTable)} ORDER BY id", db);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
        }

        return rows;
    }

    /// <summary>Functions in the capture schema (with a digest of their bodies) and every user trigger (with its oid).</summary>
    private static async Task<List<string>> CatalogSnapshotAsync(NpgsqlConnection db, string captureSchema)
    {
        const string sql = """
            SELECT 'function ' || p.oid::regprocedure::text || ' ' || md5(pg_get_functiondef(p.oid))
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = @schema
            UNION ALL
            SELECT 'trigger ' || c.relname || ' ' || t.tgname || ' ' || t.oid
            FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal
            UNION ALL
            SELECT 'relation ' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = @schema
            ORDER BY 1
            """;
        var lines = new List<string>();
        await using var command = new NpgsqlCommand(sql, db);
        command.Parameters.AddWithValue("schema", captureSchema);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(0));
        }

        return lines;
    }

    private static byte[] Element(string jsonArray, int index)
    {
        using var document = JsonDocument.Parse(jsonArray);
        return Encoding.UTF8.GetBytes(document.RootElement[index].GetRawText());
    }
}
