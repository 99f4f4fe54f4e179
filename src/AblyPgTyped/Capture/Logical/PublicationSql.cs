// Logical-replication capture's DDL: the publications, each mapped table's membership (with its column list) and its
// replica identity, and the replication slot's name. Like CaptureSql.cs, whose helpers it uses, it is written to be
// compiled into the source generator as well (which would then emit each mapping's publication DDL beside its trigger
// DDL): keep it netstandard2.0-compatible and free of dependencies.
using System.Collections.Generic;
using System.Text;

namespace AblyPgTyped.Capture.Logical;

/// <summary>
/// Builds the SQL of logical-replication capture: seven publications per capture schema, one for each set of
/// operations (<c>insert</c>, <c>insert, update</c>, …), since PostgreSQL's <c>publish</c> option is per publication
/// and a table must be published for exactly its mapped operations (a table published for updates without a replica
/// identity would make the application's UPDATEs fail). All seven exist from the first install, so a mapping that
/// gains an operation moves its table between publications in one transaction, and a replication slot never decodes a
/// change from before a publication it names existed.
/// </summary>
/// <remarks>
/// Every statement is idempotent and reads the catalog first, so running it again changes nothing. On PostgreSQL 15
/// and later a typed mapping publishes only its columns plus the table's replica identity columns (which a publication
/// of updates and deletes must carry); on 13 and 14, and for whole-row or full-identity mappings, the whole row is
/// published and the connector keeps only the mapped columns. Publications publish through the partition root, so a
/// partitioned table's changes arrive under its own name.
/// </remarks>
internal static class PublicationSql
{
    /// <summary>The logical decoding output plugin the slot uses.</summary>
    public const string OutputPlugin = "pgoutput";

    /// <summary>The state key that records the slot's name once the connector has created it.</summary>
    public const string SlotStateKey = "logical_slot";

    /// <summary>The longest name prefix; the longest suffix, <c>_insert_update_delete</c>, keeps names within 63 bytes.</summary>
    private const int MaxPrefixLength = 36;

    /// <summary>The seven operation sets, as (insert, update, delete).</summary>
    private static readonly bool[][] OperationSets =
    {
        new[] { true, false, false },
        new[] { false, true, false },
        new[] { false, false, true },
        new[] { true, true, false },
        new[] { true, false, true },
        new[] { false, true, true },
        new[] { true, true, true },
    };

    /// <summary>
    /// The prefix of the capture schema's publication and slot names: the schema itself when it is a plain lower-case
    /// name (<c>ablypg</c>), otherwise a readable part and a hash. Only <c>[a-z0-9_]</c>, which the slot name needs and which
    /// no replication option ever has to quote.
    /// </summary>
    public static string NamePrefix(string captureSchema) =>
        IsPlain(captureSchema) && captureSchema.Length <= MaxPrefixLength
            ? captureSchema
            : CaptureSql.Sanitize(captureSchema, MaxPrefixLength - 9) + "_" + CaptureSql.Hash(captureSchema);

    /// <summary>The publication for one set of operations, e.g. <c>ablypg_insert_update</c>.</summary>
    public static string PublicationName(string captureSchema, bool insert, bool update, bool delete)
    {
        var name = new StringBuilder(NamePrefix(captureSchema));
        if (insert)
        {
            name.Append("_insert");
        }

        if (update)
        {
            name.Append("_update");
        }

        if (delete)
        {
            name.Append("_delete");
        }

        return name.ToString();
    }

    /// <summary>Every publication of the capture schema (the replication stream names all of them).</summary>
    public static IReadOnlyList<string> PublicationNames(string captureSchema)
    {
        var names = new List<string>(OperationSets.Length);
        foreach (var set in OperationSets)
        {
            names.Add(PublicationName(captureSchema, set[0], set[1], set[2]));
        }

        return names;
    }

    /// <summary>
    /// The replication slot of <paramref name="captureSchema"/> in <paramref name="database"/>. Slots are cluster-wide, so
    /// the name includes a hash of the database: two databases of one server may both use the capture schema <c>ablypg</c>.
    /// </summary>
    public static string SlotName(string captureSchema, string database) =>
        NamePrefix(captureSchema) + "_" + CaptureSql.Hash(database + "\0" + captureSchema);

    /// <summary>Creates the seven publications, or sets their options back if someone changed them. Safe to run again.</summary>
    public static string InstallPublications(string captureSchema)
    {
        var body = new StringBuilder("BEGIN\n");
        foreach (var set in OperationSets)
        {
            var name = PublicationName(captureSchema, set[0], set[1], set[2]);
            var options = "(publish = " + CaptureSql.QuoteLiteral(Operations(set[0], set[1], set[2])) + ", publish_via_partition_root = true)";
            body.Append("    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_publication p WHERE p.pubname = ").Append(CaptureSql.QuoteLiteral(name)).Append(") THEN\n")
                .Append("        CREATE PUBLICATION ").Append(CaptureSql.QuoteIdentifier(name)).Append(" WITH ").Append(options).Append(";\n")
                .Append("    ELSIF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_publication p WHERE p.pubname = ").Append(CaptureSql.QuoteLiteral(name))
                .Append(" AND p.pubinsert = ").Append(Bool(set[0])).Append(" AND p.pubupdate = ").Append(Bool(set[1]))
                .Append(" AND p.pubdelete = ").Append(Bool(set[2])).Append(" AND NOT p.pubtruncate AND p.pubviaroot) THEN\n")
                .Append("        ALTER PUBLICATION ").Append(CaptureSql.QuoteIdentifier(name)).Append(" SET ").Append(options).Append(";\n")
                .Append("    END IF;\n");
        }

        return Do(body.Append("END\n").ToString());
    }

    /// <summary>
    /// Publishes one table for exactly its mapped operations: sets <c>REPLICA IDENTITY FULL</c> when
    /// <paramref name="fullIdentity"/> (on the table and each of its partitions), puts the table in the publication of
    /// its operation set with the column list it needs, and takes it out of the schema's other publications.
    /// </summary>
    public static string InstallTable(string captureSchema, TableCapture table, bool fullIdentity)
    {
        var qualified = CaptureSql.QualifiedName(table.Schema, table.Table);
        var wanted = PublicationName(captureSchema, table.Insert, table.Update, table.Delete);
        var mapped = new StringBuilder();
        if (table.Columns is null || fullIdentity)
        {
            mapped.Append("NULL");
        }
        else
        {
            mapped.Append("ARRAY[");
            for (var i = 0; i < table.Columns.Count; i++)
            {
                mapped.Append(i > 0 ? ", " : "").Append(CaptureSql.QuoteLiteral(table.Columns[i].Name));
            }

            mapped.Append("]::text[]");
        }

        var body = new StringBuilder()
            .Append("DECLARE\n")
            .Append("    target regclass := pg_catalog.to_regclass(").Append(CaptureSql.QuoteLiteral(qualified)).Append(");\n")
            .Append("    qualified text := ").Append(CaptureSql.QuoteLiteral(qualified)).Append(";\n")
            .Append("    wanted text := ").Append(CaptureSql.QuoteLiteral(wanted)).Append(";\n")
            .Append("    mapped text[] := ").Append(mapped).Append(";\n")
            .Append("    identity \"char\";\n")
            .Append("    listed text;\n")
            .Append("    wanted_attrs int2[];\n")
            .Append("    existing int2[];\n")
            .Append("    member boolean;\n")
            .Append("    other text;\n")
            .Append("BEGIN\n")
            .Append("    IF target IS NULL THEN\n")
            .Append("        RAISE EXCEPTION 'table % does not exist', qualified;\n")
            .Append("    END IF;\n");
        if (fullIdentity)
        {
            // Each partition logs its own old rows, so each needs it (a partition attached later needs it set as well).
            body.Append("    FOR other IN SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) FROM pg_catalog.pg_class c\n")
                .Append("                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace\n")
                .Append("                 WHERE (c.oid = target OR c.oid IN (SELECT t.relid FROM pg_catalog.pg_partition_tree(target) t))\n")
                .Append("                   AND c.relkind IN ('r', 'p') AND c.relreplident <> 'f' LOOP\n")
                .Append("        EXECUTE 'ALTER TABLE ' || other || ' REPLICA IDENTITY FULL';\n")
                .Append("    END LOOP;\n");
        }

        body.Append("    identity := (SELECT c.relreplident FROM pg_catalog.pg_class c WHERE c.oid = target);\n")
            // PostgreSQL 15+: only the mapped columns, plus the replica identity's, which a publication of updates and
            // deletes must carry (PostgreSQL would refuse the application's UPDATE otherwise). Generated columns are never
            // published, and a full identity needs every column: no list then.
            .Append("    IF mapped IS NOT NULL AND identity IN ('d', 'i') AND pg_catalog.current_setting('server_version_num')::int >= 150000 THEN\n")
            .Append("        SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum), pg_catalog.array_agg(a.attnum ORDER BY a.attnum)\n")
            .Append("        INTO listed, wanted_attrs\n")
            .Append("        FROM pg_catalog.pg_attribute a\n")
            .Append("        WHERE a.attrelid = target AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''\n")
            .Append("          AND (a.attname = ANY (mapped)\n")
            .Append("               OR a.attnum IN (SELECT pg_catalog.unnest(i.indkey) FROM pg_catalog.pg_index i\n")
            .Append("                               WHERE i.indrelid = target AND (i.indisreplident OR (identity = 'd' AND i.indisprimary))));\n")
            .Append("    END IF;\n")
            .Append("    FOR other IN SELECT p.pubname FROM pg_catalog.pg_publication p JOIN pg_catalog.pg_publication_rel r ON r.prpubid = p.oid\n")
            .Append("                 WHERE r.prrelid = target AND p.pubname <> wanted AND p.pubname = ANY (").Append(NameArray(captureSchema)).Append(") LOOP\n")
            .Append("        EXECUTE pg_catalog.format('ALTER PUBLICATION %I DROP TABLE %s', other, qualified);\n")
            .Append("    END LOOP;\n")
            .Append("    member := EXISTS (SELECT 1 FROM pg_catalog.pg_publication p JOIN pg_catalog.pg_publication_rel r ON r.prpubid = p.oid\n")
            .Append("                      WHERE p.pubname = wanted AND r.prrelid = target);\n")
            // prattrs exists from 15 on, so it is read dynamically; a different column list is replaced in this transaction.
            .Append("    IF member AND pg_catalog.current_setting('server_version_num')::int >= 150000 THEN\n")
            .Append("        EXECUTE 'SELECT (SELECT pg_catalog.array_agg(x ORDER BY x) FROM pg_catalog.unnest(r.prattrs) x) FROM pg_catalog.pg_publication p JOIN pg_catalog.pg_publication_rel r ON r.prpubid = p.oid WHERE p.pubname = $1 AND r.prrelid = $2'\n")
            .Append("        INTO existing USING wanted, target;\n")
            .Append("        IF existing IS DISTINCT FROM wanted_attrs THEN\n")
            .Append("            EXECUTE pg_catalog.format('ALTER PUBLICATION %I DROP TABLE %s', wanted, qualified);\n")
            .Append("            member := false;\n")
            .Append("        END IF;\n")
            .Append("    END IF;\n")
            .Append("    IF NOT member THEN\n")
            .Append("        EXECUTE pg_catalog.format('ALTER PUBLICATION %I ADD TABLE %s', wanted, qualified) || coalesce(' (' || listed || ')', '');\n")
            .Append("    END IF;\n")
            .Append("END\n");
        return Do(body.ToString());
    }

    /// <summary>
    /// Publishes the capture store's inserts, and nothing else of it: in logical-replication capture the store holds no
    /// change, and the only rows ever inserted are a backfill's snapshots (op <c>'S'</c>), each deleted again in the
    /// transaction that recorded it. Their inserts travel through the write-ahead log in commit order, beside the changes
    /// of the mapped tables, which is what orders a snapshot against them (see <c>BackfillRunner</c>).
    /// </summary>
    public static string InstallStore(string captureSchema) =>
        InstallTable(captureSchema, new TableCapture(captureSchema, CaptureSql.ChangesTable, columns: null, insert: true, update: false, delete: false), fullIdentity: false);

    /// <summary>Takes one table out of the capture schema's publications. It works even when the table is gone.</summary>
    public static string UninstallTable(string captureSchema, string tableSchema, string table)
    {
        var qualified = CaptureSql.QualifiedName(tableSchema, table);
        var body = new StringBuilder()
            .Append("DECLARE\n")
            .Append("    target regclass := pg_catalog.to_regclass(").Append(CaptureSql.QuoteLiteral(qualified)).Append(");\n")
            .Append("    other text;\n")
            .Append("BEGIN\n")
            .Append("    FOR other IN SELECT p.pubname FROM pg_catalog.pg_publication p JOIN pg_catalog.pg_publication_rel r ON r.prpubid = p.oid\n")
            .Append("                 WHERE r.prrelid = target AND p.pubname = ANY (").Append(NameArray(captureSchema)).Append(") LOOP\n")
            .Append("        EXECUTE pg_catalog.format('ALTER PUBLICATION %I DROP TABLE %s', other, ").Append(CaptureSql.QuoteLiteral(qualified)).Append(");\n")
            .Append("    END LOOP;\n")
            .Append("END\n");
        return Do(body.ToString());
    }

    /// <summary>Drops the capture schema's publications.</summary>
    public static string UninstallPublications(string captureSchema)
    {
        var sql = new StringBuilder("DROP PUBLICATION IF EXISTS ");
        var names = PublicationNames(captureSchema);
        for (var i = 0; i < names.Count; i++)
        {
            sql.Append(i > 0 ? ", " : "").Append(CaptureSql.QuoteIdentifier(names[i]));
        }

        return sql.Append(";\n").ToString();
    }

    /// <summary>Creates the slot unless it exists. Not inside a transaction that has written anything (PostgreSQL refuses).</summary>
    public static string CreateSlot(string slotName) =>
        "SELECT pg_catalog.pg_create_logical_replication_slot(" + CaptureSql.QuoteLiteral(slotName) + ", '" + OutputPlugin + "')\n" +
        "WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_replication_slots s WHERE s.slot_name = " + CaptureSql.QuoteLiteral(slotName) + ");\n";

    /// <summary>Drops the slot if it exists (it must not be in use: stop the connectors first).</summary>
    public static string DropSlot(string slotName) =>
        "SELECT pg_catalog.pg_drop_replication_slot(s.slot_name) FROM pg_catalog.pg_replication_slots s WHERE s.slot_name = " +
        CaptureSql.QuoteLiteral(slotName) + ";\n";

    /// <summary>The <c>publish</c> option of an operation set.</summary>
    private static string Operations(bool insert, bool update, bool delete)
    {
        var list = new List<string>(3);
        if (insert)
        {
            list.Add("insert");
        }

        if (update)
        {
            list.Add("update");
        }

        if (delete)
        {
            list.Add("delete");
        }

        return string.Join(", ", list);
    }

    private static string NameArray(string captureSchema)
    {
        var array = new StringBuilder("ARRAY[");
        var names = PublicationNames(captureSchema);
        for (var i = 0; i < names.Count; i++)
        {
            array.Append(i > 0 ? ", " : "").Append(CaptureSql.QuoteLiteral(names[i]));
        }

        return array.Append("]::text[]").ToString();
    }

    private static string Bool(bool value) => value ? "true" : "false";

    /// <summary>A <c>DO</c> block whose dollar-quote tag cannot occur in its body, whatever the names in it are.</summary>
    private static string Do(string body)
    {
        var tag = "$ablypg$";
        for (var i = 1; body.IndexOf(tag, System.StringComparison.Ordinal) >= 0; i++)
        {
            tag = "$ablypg" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "$";
        }

        return "DO " + tag + "\n" + body + tag + ";\n\n";
    }

    private static bool IsPlain(string name)
    {
        if (name.Length == 0 || !(name[0] is >= 'a' and <= 'z' || name[0] == '_'))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '_'))
            {
                return false;
            }
        }

        return true;
    }
}
