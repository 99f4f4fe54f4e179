using System;
using AblyPgTyped;

namespace AblyPgTyped.Benchmarks;

/// <summary>The captured table: every operation mapped, inserts on one channel, updates per row.</summary>
[AblyTable(BenchTables.Captured, Insert = "bench", Update = "bench:{Id}", Delete = "bench")]
public sealed record BenchRow(
    [property: AblyColumn("id")] int Id,
    [property: AblyColumn("name")] string? Name,
    [property: AblyColumn("email")] string? Email,
    [property: AblyColumn("created")] DateTimeOffset Created);

/// <summary>The fan-out table: every inserted row has a channel of its own.</summary>
[AblyTable(BenchTables.Fanout, Insert = "row:{Id}")]
public sealed record FanoutRow(
    [property: AblyColumn("id")] int Id,
    [property: AblyColumn("name")] string? Name,
    [property: AblyColumn("email")] string? Email,
    [property: AblyColumn("created")] DateTimeOffset Created);

/// <summary>The benchmark tables. All three have the same shape, so a captured table is compared with an identical uncaptured one.</summary>
internal static class BenchTables
{
    public const string Plain = "bench_plain";
    public const string Captured = "bench_captured";
    public const string Fanout = "bench_fanout";

    public static readonly string[] All = [Plain, Captured, Fanout];

    public static string Create(string table) =>
        $"CREATE TABLE {table} (id serial PRIMARY KEY, name text, email text, created timestamptz DEFAULT now());";

    /// <summary>One INSERT of <paramref name="rows"/> rows, the shape of the bulk writers.</summary>
    public static string InsertRows(string table, string rows) =>
        $"INSERT INTO {table} (name, email) SELECT 'name-' || g, 'user' || g || '@example.com' FROM generate_series(1, {rows}) g";
}
