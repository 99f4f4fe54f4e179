using System.Text.RegularExpressions;
using System.Threading.Tasks;
using AblyPgTyped.Benchmarks.Infrastructure;

namespace AblyPgTyped.Benchmarks.Scenarios;

/// <summary>
/// The INSERT capture of <see cref="BenchTables.Captured"/> as it was before issue 9 rewrote the triggers (commit
/// 5a4e17c), swapped in for the current one so that both can be timed in the same run: the old generator's function
/// for this table, kept verbatim, and the store's JSON compressed with pglz, as every store then was. The function
/// would fail the writer's INSERT on a renamed column, which is why it is no longer installed anywhere but here.
/// </summary>
internal sealed class PreIssue9Capture
{
    private const string Rows =
        """SELECT r FROM (SELECT n."id" AS "id", n."name" AS "name", n."email" AS "email", n."created" AS "created" FROM ablypg_rows n) r""";

    private readonly BenchDatabase _database;
    private readonly string _function;
    private readonly string _current;
    private readonly string _before;

    private PreIssue9Capture(BenchDatabase database, string function, string current, string compression, string notifyChannel)
    {
        _database = database;
        _function = function;
        _current = current;
        Compression = compression;
        _before = $"""
            CREATE OR REPLACE FUNCTION {function}
            RETURNS trigger
            LANGUAGE plpgsql
            SECURITY DEFINER
            SET search_path = pg_catalog, pg_temp
            AS $ablypg$
            BEGIN
                INSERT INTO "ablypg"."changes" (table_schema, table_name, op, n, data)
                SELECT TG_TABLE_SCHEMA, TG_TABLE_NAME, 'I', c.n, c.data
                FROM (SELECT count(*) AS n, json_agg(t.r) AS data FROM ({Rows} LIMIT 1001) t(r)) c
                WHERE c.n BETWEEN 1 AND 1000;
                IF NOT FOUND THEN
                    INSERT INTO "ablypg"."changes" (table_schema, table_name, op, n, data)
                    SELECT TG_TABLE_SCHEMA, TG_TABLE_NAME, 'I', count(*), json_agg(c.r)
                    FROM (SELECT (row_number() OVER () - 1) / 1000 AS chunk, t.r
                          FROM ({Rows}) t(r)) c
                    GROUP BY c.chunk
                    ORDER BY c.chunk;
                END IF;
                IF (SELECT armed FROM "ablypg"."wakeup") THEN
                    PERFORM 1 FROM "ablypg"."wakeup" WHERE armed FOR UPDATE SKIP LOCKED;
                    IF FOUND THEN
                        UPDATE "ablypg"."wakeup" SET armed = false;
                        PERFORM pg_notify('{notifyChannel}', '');
                    END IF;
                END IF;
                RETURN NULL;
            END
            $ablypg$;
            """;
    }

    /// <summary>Reads the installed INSERT capture function of <see cref="BenchTables.Captured"/>, to put it back later.</summary>
    public static async Task<PreIssue9Capture> ReadAsync(BenchDatabase database)
    {
        const string Installed = $"""
            FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
            WHERE t.tgrelid = '{BenchTables.Captured}'::regclass AND t.tgname = 'ablypg_capture_insert'
            """;
        var function = await database.ScalarAsync<string>("SELECT p.oid::regprocedure::text " + Installed);
        var current = await database.ScalarAsync<string>("SELECT pg_catalog.pg_get_functiondef(p.oid) " + Installed);
        var channel = Regex.Match(current, @"pg_notify\('([a-z0-9_]+)'").Groups[1].Value;
        var compression = await database.ScalarAsync<string>(
            "SELECT CASE a.attcompression WHEN 'l' THEN 'lz4' WHEN 'p' THEN 'pglz' ELSE 'default' END FROM pg_catalog.pg_attribute a " +
            "WHERE a.attrelid = 'ablypg.changes'::regclass AND a.attname = 'data'");
        return new PreIssue9Capture(database, function, current, compression, channel);
    }

    public Task InstallBeforeAsync() => _database.ExecuteAsync(_before + "ALTER TABLE ablypg.changes ALTER COLUMN data SET COMPRESSION pglz;");

    public Task RestoreCurrentAsync() => _database.ExecuteAsync(_current + ";\nALTER TABLE ablypg.changes ALTER COLUMN data SET COMPRESSION " + Compression + ";");

    /// <summary>How the current store compresses its JSON, restored after each run of the function before issue 9.</summary>
    public string Compression { get; }

    public override string ToString() => _function;
}
