using System;

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

/// <summary>The sharded table: each row goes to the channel of its shard, so a backlog spreads over as many channels as shards.</summary>
[AblyTable(BenchTables.Sharded, Insert = "shard:{Shard}")]
public sealed record ShardedRow(
    [property: AblyColumn("id")] int Id,
    [property: AblyColumn("shard")] int Shard,
    [property: AblyColumn("name")] string? Name,
    [property: AblyColumn("email")] string? Email,
    [property: AblyColumn("created")] DateTimeOffset Created);

/// <summary>
/// The large-transaction table: updates only, all on one channel, with whole old rows in both capture modes (triggers
/// always carry them; <see cref="ReplicaIdentity.Full"/> makes the WAL carry them), so both publish the same messages
/// and memory is measured against the transaction alone, not against a channel per row.
/// </summary>
[AblyTable(BenchTables.Large, Update = "large", ReplicaIdentity = ReplicaIdentity.Full)]
public sealed record LargeRow(
    [property: AblyColumn("id")] int Id,
    [property: AblyColumn("name")] string? Name,
    [property: AblyColumn("email")] string? Email,
    [property: AblyColumn("created")] DateTimeOffset Created);

/// <summary>
/// The benchmark tables. All but the sharded one have the same shape, so a captured table is compared with an identical
/// uncaptured one; the sharded one has a shard number besides (a row of about 100 bytes as JSON, as the others).
/// </summary>
internal static class BenchTables
{
    public const string Plain = "bench_plain";
    public const string Captured = "bench_captured";
    public const string Fanout = "bench_fanout";
    public const string Sharded = "bench_sharded";
    public const string Large = "bench_large";

    public static readonly string[] All = [Plain, Captured, Fanout, Sharded, Large];

    public static string Create(string table) => table == Sharded
        ? $"CREATE TABLE {table} (id serial PRIMARY KEY, shard int NOT NULL, name text, email text, created timestamptz DEFAULT now());"
        : $"CREATE TABLE {table} (id serial PRIMARY KEY, name text, email text, created timestamptz DEFAULT now());";

    /// <summary>One INSERT of <paramref name="rows"/> rows into the sharded table, row i on shard (i mod <paramref name="shards"/>) + <paramref name="firstShard"/>.</summary>
    public static string InsertShardedRows(string rows, int shards, int firstShard = 0) =>
        $"INSERT INTO {Sharded} (shard, name, email) SELECT {firstShard} + g % {shards}, 'name-' || g, 'user' || g || '@example.com' FROM generate_series(1, {rows}) g";

    /// <summary>One INSERT of <paramref name="rows"/> rows, the shape of the bulk writers.</summary>
    public static string InsertRows(string table, string rows) =>
        $"INSERT INTO {table} (name, email) SELECT 'name-' || g, 'user' || g || '@example.com' FROM generate_series(1, {rows}) g";
}
