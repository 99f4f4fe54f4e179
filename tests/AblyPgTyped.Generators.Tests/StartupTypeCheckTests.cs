using System;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.Capture;
using AblyPgTyped.Tests.Shared;
using Npgsql;
using Xunit;

namespace AblyPgTyped.Generators.Tests;

/// <summary>
/// The start-up type check (<see cref="ColumnTypeRules"/>) against real columns: every supported property type is
/// accepted with its usual column, and columns its reader cannot read are refused with the column and both types named.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class StartupTypeCheckTests(PostgresFixture postgres)
{
    // The usual column of every property of AllTypes, as the README's table lists them (domains resolve to their base).
    private const string AllTypesTable = """
        CREATE TYPE mood AS ENUM ('calm', 'happy', 'grumpy');
        CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);
        CREATE DOMAIN short_text AS varchar(20);
        CREATE TABLE all_types (
            "Id" bigint PRIMARY KEY, "Flag" boolean, "Byte" smallint, "SByte" smallint, "Short" smallint, "UShort" integer,
            "Int" positive_int, "UInt" bigint, "ULong" numeric(20), "Float" real, "Double" double precision, "Decimal" numeric,
            "Text" short_text, "NullableText" text, "Char" char(1), "Guid" uuid, "DateTime" timestamptz, "DateTimeOffset" timestamp,
            "DateOnly" date, "TimeOnly" time, "TimeSpan" interval, "Bytes" bytea, "NullableBytes" bytea, "Mood" mood,
            "Wide" numeric(20), "Json" jsonb, "Document" json, "NullableInt" integer, "NullableLong" bigint,
            "NullableDecimal" numeric, "NullableGuid" uuid, "NullableDateTime" timestamp, "NullableTimeSpan" interval,
            "NullableMood" integer, "NullableFlag" boolean, "Ints" integer[], "Strings" text[], "NullableLongs" bigint[],
            "Moods" text[], "MaybeStrings" varchar[], "Instants" timestamptz[]
        );
        """;

    [Fact]
    public async Task Every_supported_type_is_accepted_with_its_usual_column()
    {
        await using var db = await postgres.OpenFreshDatabaseAsync();
        await ExecuteAsync(db, AllTypesTable);

        var check = await MappingCheck.RunAsync(db, CaptureSql.DefaultSchema, [AblyPgTables.AllTypes.CreateMapping()], default);

        Assert.Empty(check.Problems);
        Assert.Single(check.Present);
    }

    [Theory]
    [InlineData("Int", "text", "column \"Int\" of \"public\".\"all_types\" is text, but {0}.Int is int, which needs smallint, integer, bigint or numeric")]
    [InlineData("Int", "real", "column \"Int\" of \"public\".\"all_types\" is real, but {0}.Int is int, which needs smallint, integer, bigint or numeric")]
    [InlineData("Flag", "integer", "column \"Flag\" of \"public\".\"all_types\" is integer, but {0}.Flag is bool, which needs boolean")]
    [InlineData("Guid", "text", "column \"Guid\" of \"public\".\"all_types\" is text, but {0}.Guid is System.Guid, which needs uuid")]
    [InlineData("DateOnly", "timestamptz", "column \"DateOnly\" of \"public\".\"all_types\" is timestamp with time zone, but {0}.DateOnly is System.DateOnly, which needs date")]
    [InlineData("Bytes", "text", "column \"Bytes\" of \"public\".\"all_types\" is text, but {0}.Bytes is byte[], which needs bytea")]
    [InlineData("TimeSpan", "bigint", "column \"TimeSpan\" of \"public\".\"all_types\" is bigint, but {0}.TimeSpan is System.TimeSpan, which needs interval or time")]
    [InlineData("Text", "jsonb", "column \"Text\" of \"public\".\"all_types\" is jsonb, but {0}.Text is string, which needs a column that is not json, jsonb or a composite type")]
    [InlineData("Mood", "boolean", "column \"Mood\" of \"public\".\"all_types\" is boolean, but {0}.Mood is AblyPgTyped.Generators.Tests.Mapped.Mood, which needs a PostgreSQL enum, a text or an integer column")]
    [InlineData("Ints", "integer", "column \"Ints\" of \"public\".\"all_types\" is integer, but {0}.Ints is int[], which needs an array of smallint, integer, bigint or numeric")]
    [InlineData("Ints", "text[]", "column \"Ints\" of \"public\".\"all_types\" is text[], but {0}.Ints is int[], which needs an array of smallint, integer, bigint or numeric")]
    [InlineData("Text", "text[]", "column \"Text\" of \"public\".\"all_types\" is text[], but {0}.Text is string, which needs a column that is not json, jsonb or a composite type, not an array")]
    public async Task A_column_its_reader_cannot_read_is_refused_with_both_types_named(string column, string type, string expected)
    {
        await using var db = await postgres.OpenFreshDatabaseAsync();
        await ExecuteAsync(db, AllTypesTable + $"ALTER TABLE all_types DROP COLUMN \"{column}\"; ALTER TABLE all_types ADD COLUMN \"{column}\" {type};");

        var check = await MappingCheck.RunAsync(db, CaptureSql.DefaultSchema, [AblyPgTables.AllTypes.CreateMapping()], default);

        Assert.Equal([string.Format(System.Globalization.CultureInfo.InvariantCulture, expected, typeof(Mapped.AllTypes).FullName)], check.Problems);
    }

    [Fact]
    public void The_capture_ddl_is_read_back_as_functions_triggers_and_tables()
    {
        var ddl = CaptureDdl.Parse(CaptureSql.InstallTable("cdc", AblyPgTables.OrderLine.CreateMapping().Capture));
        var store = CaptureDdl.Parse(CaptureSql.InstallStore("cdc"));

        // OrderLine captures updates and deletes: two functions and two triggers, and the insert function is dropped.
        Assert.Equal(2, ddl.Functions.Count);
        Assert.All(ddl.Functions, f => Assert.StartsWith(CaptureObjects.FunctionPrefix, f.Key.Name, StringComparison.Ordinal));
        Assert.All(ddl.Functions.Values, body => Assert.Contains("BEGIN", body, StringComparison.Ordinal));
        Assert.Equal(
            [("cdc_capture_delete", "Sales Data.Order Lines"), ("cdc_capture_update", "Sales Data.Order Lines")],
            ddl.Triggers.Select(t => (t.Name, t.Table.ToString())).Order());
        Assert.All(ddl.Triggers, t => Assert.Contains(t.Function, ddl.Functions.Keys));
        Assert.Single(ddl.DroppedFunctions);
        Assert.Equal(
            ["backfills", "changes", "dead_letters", "mappings", "sent_cuts", "state", "wakeup"],
            store.Tables.Select(t => t.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_installed_capture_matches_its_own_script_whatever_the_names_and_a_change_is_noticed()
    {
        await using var db = await postgres.OpenFreshDatabaseAsync();
        const string captureSchema = "capture \"$ablypg$\" 'x'";
        await ExecuteAsync(db, """"
            CREATE SCHEMA "Sales Data";
            CREATE TABLE "Sales Data"."Order Lines" ("order id" uuid, "line" int, "unit ""price""" numeric, "Note" text, PRIMARY KEY ("order id", "line"));
            CREATE SCHEMA "user";
            CREATE TABLE "user"."select" ("Id" int PRIMARY KEY, "Region" text, "from" timestamptz);
            """");
        ChangeMapping[] mappings = [AblyPgTables.OrderLine.CreateMapping(), AblyPgTables.Event.CreateMapping()];
        var before = await InstalledCapture.DifferencesAsync(db, captureSchema, mappings, [], default);

        await ExecuteAsync(db, "BEGIN;" + CaptureInstallScript.Statements(captureSchema, mappings, []) + "COMMIT;");
        var after = await InstalledCapture.DifferencesAsync(db, captureSchema, mappings, [], default);
        await ExecuteAsync(db, $"DROP TRIGGER {CaptureSql.QuoteIdentifier(CaptureSql.TriggerName(captureSchema, 'D'))} ON \"user\".\"select\";");
        var dropped = await InstalledCapture.DifferencesAsync(db, captureSchema, mappings, [], default);
        var fewer = await InstalledCapture.DifferencesAsync(db, captureSchema, [mappings[0]], [], default);

        Assert.Equal([$"capture schema {CaptureSql.QuoteIdentifier(captureSchema)} does not exist"], before);
        Assert.Empty(after);
        Assert.Equal([$"table \"user\".\"select\" has no trigger {CaptureSql.QuoteIdentifier(CaptureSql.TriggerName(captureSchema, 'D'))} running {CaptureSql.QualifiedName(captureSchema, CaptureSql.FunctionName("user", "select", 'D'))}"], dropped);
        Assert.Contains(fewer, d => d.Contains("are recorded but no longer mapped", StringComparison.Ordinal));
        Assert.Contains(fewer, d => d.EndsWith("captures a table that is no longer mapped", StringComparison.Ordinal));
    }

    private static async Task ExecuteAsync(NpgsqlConnection db, string sql)
    {
        await using var command = new NpgsqlCommand(sql, db);
        await command.ExecuteNonQueryAsync();
    }
}
