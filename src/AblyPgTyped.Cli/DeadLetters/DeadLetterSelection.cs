using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;
using NpgsqlTypes;

namespace AblyPgTyped.Cli.DeadLetters;

/// <summary>
/// Which dead letters a command works on: <c>--table</c> narrows any selection; <c>--id</c>, <c>--all</c> and
/// <c>--before</c> choose. Turned into an SQL condition with parameters.
/// </summary>
/// <param name="Table">A table as <c>name</c> (in any schema) or <c>schema.name</c>.</param>
/// <param name="Ids">The letters' ids.</param>
/// <param name="All">Every letter (of <paramref name="Table"/>, when given).</param>
/// <param name="Before">Letters that failed before this time.</param>
/// <param name="OlderThan">Letters that failed longer ago than this (measured on the database's clock).</param>
internal sealed partial record DeadLetterSelection(string? Table, IReadOnlyList<long>? Ids, bool All, DateTimeOffset? Before, TimeSpan? OlderThan)
{
    /// <summary>
    /// The condition on the letters aliased <c>d</c>, its parameters added to <paramref name="command"/> (numbered from
    /// its current count).
    /// </summary>
    public string Condition(NpgsqlCommand command)
    {
        var first = command.Parameters.Count + 1;
        command.Parameters.Add(new NpgsqlParameter { Value = Ids is null ? DBNull.Value : new List<long>(Ids).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)Table ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = Before is { } before ? before.ToUniversalTime() : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)OlderThan ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Interval });
        return string.Create(CultureInfo.InvariantCulture,
            $"(${first}::bigint[] IS NULL OR d.id = ANY(${first})) " +
            $"AND (${first + 1}::text IS NULL OR d.table_name = ${first + 1} OR d.table_schema || '.' || d.table_name = ${first + 1}) " +
            $"AND (${first + 2}::timestamptz IS NULL OR d.failed_at < ${first + 2}) " +
            $"AND (${first + 3}::interval IS NULL OR d.failed_at < clock_timestamp() - ${first + 3})");
    }

    /// <summary>
    /// Checks that <see cref="Table"/> names one table among the letters: <c>users</c> with letters in two schemas must be
    /// written as <c>schema.users</c> before anything is replayed or purged.
    /// </summary>
    /// <exception cref="UsageException">The name matches letters of several tables.</exception>
    public async Task CheckTableAsync(NpgsqlConnection connection, string deadLetters, CancellationToken cancellationToken)
    {
        if (Table is null)
        {
            return;
        }

        await using var command = new NpgsqlCommand(
            $"SELECT DISTINCT d.table_schema || '.' || d.table_name FROM {deadLetters} d WHERE d.table_name = $1 OR d.table_schema || '.' || d.table_name = $1 ORDER BY 1",
            connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Table });
        var tables = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            tables.Add(reader.GetString(0));
        }

        if (tables.Count > 1)
        {
            throw new UsageException($"--table {Table} matches the dead letters of {string.Join(" and ", tables)}: name one as schema.table");
        }
    }

    /// <summary>
    /// Reads <c>--before</c>: a date or time (<c>2026-11-20</c>, <c>2026-11-20T10:00:00Z</c>; UTC unless it says otherwise),
    /// or an age (<c>90s</c>, <c>30m</c>, <c>12h</c>, <c>7d</c>).
    /// </summary>
    public static bool TryParseBefore(string text, out DateTimeOffset? before, out TimeSpan? olderThan)
    {
        before = null;
        olderThan = null;
        var age = AgePattern().Match(text.Trim());
        if (age.Success && long.TryParse(age.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var amount) && amount <= 100_000)
        {
            olderThan = age.Groups[2].Value switch
            {
                "s" => TimeSpan.FromSeconds(amount),
                "m" => TimeSpan.FromMinutes(amount),
                "h" => TimeSpan.FromHours(amount),
                _ => TimeSpan.FromDays(amount),
            };
            return true;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            before = at;
            return true;
        }

        return false;
    }

    [GeneratedRegex("^([0-9]+)(s|m|h|d)$")]
    private static partial Regex AgePattern();
}
