using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Capture;
using AblyPgTyped.Capture.Logical;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Xunit;

namespace AblyPgTyped.Tests.Connectors.Logical;

/// <summary>
/// Logical replication captures, byte for byte, what the triggers capture for the same rows: both are installed on the
/// same tables, the same writes run once, and the triggers' store rows are compared with what the slot delivers.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class CaptureEquivalenceTests(PostgresFixture postgres)
{
    /// <summary>The writers' settings that <c>to_json</c> depends on, at PostgreSQL's defaults (the slot renders with these).</summary>
    private const string WriterSettings = "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 1; SET bytea_output = 'hex';";

    [Fact]
    public async Task Every_supported_type_is_captured_as_the_triggers_capture_it()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, CaptureMode.LogicalReplication, EveryTypeSchemas.EveryType);
        var mapping = AblyPgTables.EveryType.CreateMapping();

        var (triggers, logical) = await CaptureBothWaysAsync(
            h, [mapping], WriterSettings + EveryTypeSchemas.Insert + EveryTypeSchemas.Update + EveryTypeSchemas.Delete);

        Assert.Equal(3 + 3 + 3, triggers.Count);
        Assert.Equal(triggers, logical);
        Assert.DoesNotContain(logical, c => c.Json.Contains("SECRET", StringComparison.Ordinal));

        // The update that left the TOASTed text alone still carries it, from the old row.
        var toasted = logical.First(c => c.Op == 'U' && c.Json.Contains("\"Int\":5", StringComparison.Ordinal));
        using var pair = JsonDocument.Parse(toasted.Json);
        Assert.Equal(96_000, pair.RootElement[1].GetProperty("NullableText").GetString()!.Length);
        var read = AblyPgTables.EveryType.Read(Encoding.UTF8.GetBytes(logical[0].Json));
        Assert.Equal(long.MaxValue, read.Id);
        Assert.Equal(new TimeSpan(1, 1, 1, 1).Add(TimeSpan.FromTicks(10)), read.TimeSpan);
        Assert.Equal(new byte[] { 0, 1, 2, 10, 255 }, read.Bytes);
    }

    [Fact]
    public async Task Whole_rows_of_types_no_property_maps_are_captured_as_the_triggers_capture_them()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, CaptureMode.LogicalReplication, EveryTypeSchemas.Exotic);
        var mapping = new UntypedMapping("public", "exotic", "exotic", "exotic", "exotic");

        var (triggers, logical) = await CaptureBothWaysAsync(h, [mapping], WriterSettings + EveryTypeSchemas.ExoticRows);

        Assert.Equal(4, triggers.Count);
        Assert.Equal(triggers, logical);
        Assert.Contains("\"ps\":[{\"a\":2,\"b \\\"q\\\"\":null,\"c\":null},", logical[0].Json, StringComparison.Ordinal);
        Assert.Contains("\"grid\":[[1,2],[3,4]]", logical[0].Json, StringComparison.Ordinal);
    }

    /// <summary>One captured change: its table, its operation, and its JSON (an update's as <c>[old,new]</c>).</summary>
    private sealed record Captured(string Table, char Op, string Json);

    /// <summary>
    /// Installs trigger capture and a publication with a slot on the same tables, runs <paramref name="writes"/>, and
    /// returns each change as the triggers stored it and as the slot delivered it.
    /// </summary>
    private static async Task<(List<Captured> Triggers, List<Captured> Logical)> CaptureBothWaysAsync(ConnectorHarness h, ChangeMapping[] mappings, string writes)
    {
        const string schema = CaptureSql.DefaultSchema;
        await using var sessions = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(h.ConnectionString) { Pooling = false }.ConnectionString);
        await using var session = await sessions.OpenConnectionAsync();
        var ddl = new StringBuilder(CaptureSql.InstallStore(schema)).Append(PublicationSql.InstallPublications(schema));
        foreach (var mapping in mappings)
        {
            ddl.Append(CaptureSql.InstallTable(schema, mapping.Capture)).Append(PublicationSql.InstallTable(schema, mapping.Capture, fullIdentity: true));
        }

        await ExecuteAsync(session, ddl.ToString());
        var slot = PublicationSql.SlotName(schema, session.Database);
        await ExecuteAsync(session, PublicationSql.CreateSlot(slot));
        await ExecuteAsync(session, writes);

        var triggers = new List<Captured>();
        await using (var command = new NpgsqlCommand($"SELECT table_name, op, data::text FROM {CaptureSql.QualifiedName(schema, CaptureSql.ChangesTable)} ORDER BY id", session))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                triggers.AddRange(Split(reader.GetString(0), reader.GetChar(1), Encoding.UTF8.GetBytes(reader.GetString(2))));
            }
        }

        var setup = new LogicalSetup("equivalence", slot, PublicationSql.PublicationNames(schema), session.PostgreSqlVersion.Major * 10000, new Dictionary<uint, MappedTable>());
        var logical = new List<Captured>();
        await using (var source = await LogicalCaptureSource.StartAsync(
            h.ConnectionString, sessions, session, setup, mappings.ToDictionary(m => (m.Schema, m.TableName)), schema, NullLogger.Instance, CancellationToken.None))
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (logical.Count < triggers.Count && DateTime.UtcNow < deadline)
            {
                var rows = await source.ReadAsync(10_000, long.MaxValue, CancellationToken.None);
                foreach (var row in rows)
                {
                    logical.AddRange(Split(row.Table, row.Op, row.Data));
                }

                await source.CompleteAsync(rows.Select(r => r.Id).ToList(), [], [], CancellationToken.None);
                if (rows.Count == 0)
                {
                    await source.WaitForChangesAsync(TimeSpan.FromMilliseconds(200), CancellationToken.None);
                }
            }
        }

        return (triggers, logical);
    }

    /// <summary>A capture row's changes, each as its own JSON (the store's array separators differ; the elements may not).</summary>
    private static IEnumerable<Captured> Split(string table, char op, byte[] data)
    {
        using var document = JsonDocument.Parse(data);
        return document.RootElement.EnumerateArray()
            .Select(e => new Captured(table, op, e.ValueKind == JsonValueKind.Array ? "[" + string.Join(",", e.EnumerateArray().Select(x => x.GetRawText())) + "]" : e.GetRawText()))
            .ToList();
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
