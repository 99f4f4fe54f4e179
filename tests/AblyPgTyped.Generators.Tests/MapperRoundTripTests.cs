using System;
using System.Linq;
using System.Text;
using System.Text.Json;
using AblyPgTyped.Generators.Tests.Mapped;
using Xunit;

namespace AblyPgTyped.Generators.Tests;

/// <summary>The generated mappers, compiled into this assembly by the generator as a user's project would compile them.</summary>
public sealed class MapperRoundTripTests
{
    public static TheoryData<string> Samples => new() { "extremes-max", "extremes-min", "nulls", "unicode" };

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_supported_type_survives_write_then_read(string sample)
    {
        var row = Sample(sample);

        var json = AblyPgTables.AllTypes.Write(row);
        var back = AblyPgTables.AllTypes.Read(json);

        AssertSame(row, back);
        Assert.Equal(Encoding.UTF8.GetString(json), Encoding.UTF8.GetString(AblyPgTables.AllTypes.Write(back)));
    }

    [Fact]
    public void Values_javascript_cannot_hold_exactly_are_written_as_strings()
    {
        var json = JsonDocument.Parse(AblyPgTables.AllTypes.Write(Sample("extremes-max"))).RootElement;

        Assert.Equal("9223372036854775807", json.GetProperty("Id").GetString());
        Assert.Equal("18446744073709551615", json.GetProperty("ULong").GetString());
        Assert.Equal("79228162514264337593543950335", json.GetProperty("Decimal").GetString());
        Assert.Equal(JsonValueKind.Number, json.GetProperty("Int").ValueKind);
        Assert.Equal("Infinity", json.GetProperty("Double").GetString());
        Assert.Equal("Huge", json.GetProperty("Wide").GetString());
        Assert.Equal("AAEC/w==", json.GetProperty("Bytes").GetString());
        Assert.Equal("-10675199.02:48:05.4775808", json.GetProperty("TimeSpan").GetString());
        Assert.False(json.TryGetProperty("PasswordHash", out _), "an ignored property was written");
        Assert.False(json.TryGetProperty("Display", out _), "a computed property was written");
    }

    [Fact]
    public void Reads_what_postgresql_renders_into_the_capture_store()
    {
        // As json_build_object/to_json render them: numbers for bigint and numeric, lower-case enum labels,
        // offsets on timestamptz, epoch seconds for intervals, unwrapped base64 for bytea, NaN as a string.
        const string captured = """
            {"Id": 9223372036854775807, "Flag": true, "Byte": 255, "SByte": -128, "Short": -32768, "UShort": 65535,
             "Int": -2147483648, "UInt": 4294967295, "ULong": 18446744073709551615, "Float": 1.5, "Double": "NaN",
             "Decimal": 123456789012345678901234.5678, "Text": "t", "NullableText": null, "Char": "x",
             "Guid": "6f9619ff-8b86-d011-b42d-00c04fc964ff", "DateTime": "2024-02-29T23:59:59.123456+05:30",
             "DateTimeOffset": "2024-02-29T23:59:59.123456", "DateOnly": "infinity", "TimeOnly": "13:14:15.5",
             "TimeSpan": 90061.000001, "Bytes": "AAEC/w==", "NullableBytes": null, "Mood": "grumpy", "Wide": 1,
             "Json": {"a": [1, 2, {"b": null}]}, "Document": [true], "NullableInt": null, "NullableLong": 5,
             "NullableDecimal": 0.10, "NullableGuid": null, "NullableDateTime": "2024-01-01T00:00:00",
             "NullableTimeSpan": -0.5, "NullableMood": 7, "NullableFlag": false, "Ints": [1, 2, 3],
             "Strings": ["a", "é"], "NullableLongs": [1, null, 9007199254740993], "Moods": ["Calm", "HAPPY"],
             "MaybeStrings": [null, "z"], "Instants": ["2020-01-01T00:00:00+00:00"], "Unknown": {"skipped": [1]},
             "PasswordHash": "must be ignored"}
            """;

        var row = AblyPgTables.AllTypes.Read(Encoding.UTF8.GetBytes(captured));

        Assert.Equal(long.MaxValue, row.Id);
        Assert.Equal(ulong.MaxValue, row.ULong);
        Assert.True(double.IsNaN(row.Double));
        Assert.Equal(123456789012345678901234.5678m, row.Decimal);
        Assert.Equal(new DateTime(2024, 2, 29, 18, 29, 59, 123, DateTimeKind.Utc).AddTicks(4560), row.DateTime);
        Assert.Equal(DateTimeKind.Utc, row.DateTime.Kind);
        Assert.Equal(TimeSpan.Zero, row.DateTimeOffset.Offset);
        Assert.Equal(DateOnly.MaxValue, row.DateOnly);
        Assert.Equal(new TimeOnly(13, 14, 15, 500), row.TimeOnly);
        Assert.Equal(new TimeSpan(1, 1, 1, 1).Add(TimeSpan.FromTicks(10)), row.TimeSpan);
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, row.Bytes);
        Assert.Equal(Mood.Grumpy, row.Mood);
        Assert.Equal(Wide.Small, row.Wide);
        Assert.Equal(2, row.Json.GetProperty("a")[1].GetInt32());
        Assert.True(row.Document!.RootElement[0].GetBoolean());
        Assert.Null(row.NullableInt);
        Assert.Equal(0.10m, row.NullableDecimal);
        Assert.Equal(DateTimeKind.Unspecified, row.NullableDateTime!.Value.Kind);
        Assert.Equal(TimeSpan.FromMilliseconds(-500), row.NullableTimeSpan);
        Assert.Equal(Mood.Grumpy, row.NullableMood);
        Assert.Equal([1, 2, 3], row.Ints);
        Assert.Equal(["a", "é"], row.Strings);
        Assert.Equal([1L, null, 9007199254740993L], row.NullableLongs!);
        Assert.Equal([Mood.Calm, Mood.Happy], row.Moods);
        Assert.Equal(new string?[] { null, "z" }, row.MaybeStrings!);
        Assert.Equal("", row.PasswordHash);
    }

    [Theory]
    [InlineData("""{"Int": null}""", "Column 'Int' is null, but AllTypes.Int is not nullable.")]
    [InlineData("""{"Int": 2147483648}""", "Column 'Int' should hold an integer between -2147483648 and 2147483647, but holds number '2147483648'.")]
    [InlineData("""{"Mood": "sleepy"}""", "Column 'Mood' holds 'sleepy', which is not a member of AblyPgTyped.Generators.Tests.Mapped.Mood.")]
    [InlineData("""{"Guid": "not-a-guid"}""", "Column 'Guid' should hold a UUID, but holds string 'not-a-guid'.")]
    [InlineData("""{"Ints": {"a": 1}}""", "Column 'Ints' should hold an array, but holds StartObject.")]
    [InlineData("""[1]""", "Expected a JSON object for a row of public.all_types, found StartArray.")]
    public void Bad_values_fail_with_a_message_naming_the_column(string json, string message)
    {
        var error = Assert.Throws<JsonException>(() => AblyPgTables.AllTypes.Read(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Records_with_renamed_columns_ignored_parameters_and_required_members_round_trip()
    {
        var line = new OrderLine(Guid.NewGuid(), 3, "secret") { UnitPrice = 9.99m, Note = "n\"o\\te\u2028", InternalCode = "x" };

        var json = AblyPgTables.OrderLine.Write(line);
        var back = AblyPgTables.OrderLine.Read(json);

        Assert.Equal(line.OrderId, back.OrderId);
        Assert.Equal(3, back.LineNumber);
        Assert.Null(back.Secret);
        Assert.Equal(9.99m, back.UnitPrice);
        Assert.Equal(line.Note, back.Note);
        Assert.DoesNotContain("secret", Encoding.UTF8.GetString(json), StringComparison.Ordinal);
        Assert.Contains("\"unit \\\"price\\\"\":\"9.99\"", Encoding.UTF8.GetString(json), StringComparison.Ordinal);
    }

    [Fact]
    public void Channels_resolve_placeholders_per_row()
    {
        var row = Sample("unicode");

        Assert.Equal("all:-42", AblyPgTables.AllTypes.ResolveChannel(ChangeKind.Insert, row));
        Assert.Equal("all-Grumpy-héllo 🌍", AblyPgTables.AllTypes.ResolveChannel(ChangeKind.Update, row));
        Assert.Equal("all", AblyPgTables.AllTypes.ResolveChannel(ChangeKind.Delete, row));
        Assert.Equal("ably-users-added", AblyPgTables.User.ResolveChannel(ChangeKind.Insert, new User(1, "a")));
        Assert.Equal("users:7", AblyPgTables.User.ResolveChannel(ChangeKind.Update, new User(7, "a")));
        Assert.Null(AblyPgTables.OrderLine.ResolveChannel(ChangeKind.Insert, new OrderLine(Guid.Empty, 1, null) { UnitPrice = 1, InternalCode = "" }));
        Assert.Equal("eu:events", AblyPgTables.Event.ResolveChannel(ChangeKind.Insert, new Outer.Event { Region = "eu" }));
    }

    [Fact]
    public void Registry_and_metadata_describe_the_mappings()
    {
        Assert.Equal(6, AblyPgTables.All.Count);
        Assert.Same(AblyPgTables.User, AblyPgTables.All.Single(t => t.RowType == typeof(User)));
        Assert.Equal(["order id", "line"], AblyPgTables.OrderLine.KeyColumns.Select(c => c.Name));
        Assert.Equal("\"Sales Data\".\"Order Lines\"", AblyPgTables.OrderLine.QualifiedName);
        Assert.DoesNotContain(AblyPgTables.AllTypes.Columns, c => c.Property is "PasswordHash" or "Display");
        Assert.Equal(Capture.ColumnCapture.Base64, AblyPgTables.AllTypes.Columns.Single(c => c.Name == "Bytes").Capture);
        Assert.Equal(Capture.ColumnCapture.EpochSeconds, AblyPgTables.AllTypes.Columns.Single(c => c.Name == "TimeSpan").Capture);
        Assert.Equal(Capture.ColumnCapture.EpochSeconds, AblyPgTables.AllTypes.Columns.Single(c => c.Name == "NullableTimeSpan").Capture);
        Assert.Equal(Capture.ColumnCapture.Value, AblyPgTables.AllTypes.Columns.Single(c => c.Name == "Ints").Capture);
    }

    [Fact]
    public void Generated_install_sql_equals_what_the_runtime_renders_for_the_default_schema()
    {
        Assert.Equal(UserAblyTable.InstallSql, AblyPgTables.User.GetInstallSql());
        Assert.Equal(UserAblyTable.UninstallSql, AblyPgTables.User.GetUninstallSql());
        Assert.Equal(OrderLineAblyTable.InstallSql, AblyPgTables.OrderLine.GetInstallSql("ablypg"));
        Assert.Contains("\"custom\".\"changes\"", AblyPgTables.User.GetInstallSql("custom"), StringComparison.Ordinal);
        Assert.Equal(UserAblyTable.PublicationSql, AblyPgTables.User.GetPublicationSql());
        Assert.Equal(FullIdentityAuditAblyTable.PublicationSql, AblyPgTables.FullIdentityAudit.GetPublicationSql());
    }

    [Fact]
    public void Replica_identity_comes_from_the_attribute_without_reflection()
    {
        Assert.Equal(ReplicaIdentity.Key, AblyPgTables.User.ReplicaIdentity);
        Assert.Equal(ReplicaIdentity.Full, AblyPgTables.FullIdentityAudit.ReplicaIdentity);
        Assert.Contains("REPLICA IDENTITY FULL", FullIdentityAuditAblyTable.PublicationSql, StringComparison.Ordinal);
        Assert.DoesNotContain("REPLICA IDENTITY FULL", UserAblyTable.PublicationSql, StringComparison.Ordinal);
        Assert.Contains("'ablypg_update_delete'", FullIdentityAuditAblyTable.PublicationSql, StringComparison.Ordinal);
    }

    private static AllTypes Sample(string name) => name switch
    {
        "extremes-max" => new AllTypes
        {
            Id = long.MaxValue,
            Flag = true,
            Byte = byte.MaxValue,
            SByte = sbyte.MaxValue,
            Short = short.MaxValue,
            UShort = ushort.MaxValue,
            Int = int.MaxValue,
            UInt = uint.MaxValue,
            ULong = ulong.MaxValue,
            Float = float.MaxValue,
            Double = double.PositiveInfinity,
            Decimal = decimal.MaxValue,
            Text = new string('x', 10_000),
            Char = char.MaxValue,
            Guid = Guid.Parse("ffffffff-ffff-ffff-ffff-ffffffffffff"),
            DateTime = DateTime.MaxValue,
            DateTimeOffset = DateTimeOffset.MaxValue,
            DateOnly = DateOnly.MaxValue,
            TimeOnly = TimeOnly.MaxValue,
            TimeSpan = TimeSpan.MinValue,
            Bytes = [0, 1, 2, 255],
            Mood = Mood.Grumpy,
            Wide = Wide.Huge,
            Json = Parse("""{"deep":[[[1e308]]]}"""),
            Document = JsonDocument.Parse("[1,2]"),
            NullableInt = int.MinValue,
            NullableLong = long.MinValue,
            NullableDecimal = decimal.MinValue,
            NullableGuid = Guid.Empty,
            NullableDateTime = new DateTime(2000, 1, 2, 3, 4, 5, DateTimeKind.Utc),
            NullableTimeSpan = TimeSpan.MaxValue,
            NullableMood = (Mood)42,
            NullableFlag = false,
            Ints = [int.MinValue, 0, int.MaxValue],
            Strings = ["", " "],
            NullableLongs = [long.MaxValue, null],
            Moods = [Mood.Calm, (Mood)99],
            MaybeStrings = [null],
            Instants = [DateTimeOffset.UnixEpoch],
        },
        "extremes-min" => new AllTypes
        {
            Id = long.MinValue,
            SByte = sbyte.MinValue,
            Short = short.MinValue,
            Int = int.MinValue,
            Float = float.Epsilon,
            Double = double.NegativeInfinity,
            Decimal = decimal.MinValue,
            DateTime = DateTime.MinValue,
            DateTimeOffset = DateTimeOffset.MinValue,
            DateOnly = DateOnly.MinValue,
            TimeOnly = TimeOnly.MinValue,
            TimeSpan = TimeSpan.MaxValue,
            Json = Parse("null"),
            Char = '\0',
            Wide = Wide.Small,
            NullableDecimal = 0.0000000000000000000000000001m,
        },
        "nulls" => new AllTypes { Text = "", Double = double.NaN, Float = float.NaN, Json = Parse("{}"), Strings = [] },
        _ => new AllTypes
        {
            Id = -42,
            Text = "héllo 🌍",
            NullableText = "אבג \u0000 \t\n \"quoted\" \\ </script>",
            Char = 'é',
            Mood = Mood.Grumpy,
            Json = Parse("""{"emoji":"🎉","rtl":"مرحبا"}"""),
            Strings = ["日本語", "\uD83D\uDE00"],
            MaybeStrings = ["ä", null],
            DateTimeOffset = new DateTimeOffset(2024, 6, 1, 12, 0, 0, TimeSpan.FromHours(-9.5)),
            DateTime = new DateTime(2024, 6, 1, 12, 0, 0, DateTimeKind.Unspecified),
            Double = 0.1 + 0.2,
            Float = 3.14159f,
            Decimal = -0.000001m,
        },
    };

    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private static void AssertSame(AllTypes expected, AllTypes actual)
    {
        foreach (var property in typeof(AllTypes).GetProperties().Where(p => p.Name is not ("PasswordHash" or "Display")))
        {
            var e = property.GetValue(expected);
            var a = property.GetValue(actual);
            switch (e)
            {
                case JsonElement je:
                    Assert.True(JsonElement.DeepEquals(je, (JsonElement)a!), $"{property.Name}: {je.GetRawText()} came back as {((JsonElement)a!).GetRawText()}");
                    break;
                case JsonDocument jd:
                    Assert.True(JsonElement.DeepEquals(jd.RootElement, ((JsonDocument)a!).RootElement), property.Name);
                    break;
                case System.Collections.IEnumerable items when e is not string:
                    Assert.Equal(items.Cast<object?>().ToArray(), ((System.Collections.IEnumerable)a!).Cast<object?>().ToArray());
                    break;
                case DateTime dt:
                    Assert.Equal(dt, (DateTime)a!);
                    Assert.Equal(dt.Kind == DateTimeKind.Local ? DateTimeKind.Utc : dt.Kind, ((DateTime)a!).Kind);
                    break;
                case DateTimeOffset dto:
                    Assert.Equal(dto, (DateTimeOffset)a!);
                    Assert.Equal(dto.Offset, ((DateTimeOffset)a!).Offset);
                    break;
                default:
                    Assert.True(Equals(e, a), $"{property.Name}: expected {e}, got {a}");
                    break;
            }
        }
    }
}
