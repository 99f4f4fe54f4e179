using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;

namespace AblyPgTyped.Capture.Logical;

/// <summary>How PostgreSQL's <c>to_json</c> renders a value of a type (its <c>json_categorize_type</c>, domains looked through).</summary>
internal enum JsonCategory
{
    /// <summary>Quoted text: text types, uuid, enums, intervals, bytea (as its hex text), ranges, …</summary>
    Other,

    /// <summary><c>true</c> / <c>false</c>.</summary>
    Bool,

    /// <summary>Integers, floats and numeric: unquoted, except NaN and infinities, which are quoted.</summary>
    Number,

    /// <summary>An ISO date, quoted.</summary>
    Date,

    /// <summary>ISO 8601 with a <c>T</c>, quoted.</summary>
    Timestamp,

    /// <summary>ISO 8601 with a <c>T</c> and an <c>±hh:mm</c> offset, quoted.</summary>
    TimestampTz,

    /// <summary>json and jsonb: the JSON itself.</summary>
    Json,

    /// <summary>A JSON array of the elements, nested per dimension.</summary>
    Array,

    /// <summary>A JSON object of the fields.</summary>
    Composite,
}

/// <summary>A column type as the renderer needs it.</summary>
internal sealed class PgType(uint oid, string name)
{
    public uint Oid { get; } = oid;

    /// <summary>The type's name, for messages.</summary>
    public string Name { get; } = name;

    /// <summary>The name of the base type of a domain, or the type's own.</summary>
    public string BaseName { get; set; } = name;

    public JsonCategory Category { get; set; }

    /// <summary>An array's element type.</summary>
    public PgType? Element { get; set; }

    /// <summary>The delimiter between an array's elements (the element type's <c>typdelim</c>).</summary>
    public byte Delimiter { get; set; } = (byte)',';

    /// <summary>A composite's fields: the JSON key (already escaped and quoted, with its colon) and the type.</summary>
    public (byte[] Key, PgType Type)[]? Fields { get; set; }
}

/// <summary>
/// The types of published columns, read from the catalog on a connection of its own as relation messages name them
/// (a type created after the connector started is found too). Each type is read once.
/// </summary>
internal sealed class PgTypeCatalog(Func<CancellationToken, Task<NpgsqlConnection>> connect) : IAsyncDisposable
{
    private const uint BoolOid = 16, Int8Oid = 20, Int2Oid = 21, Int4Oid = 23, Float4Oid = 700, Float8Oid = 701, NumericOid = 1700;
    private const uint DateOid = 1082, TimestampOid = 1114, TimestampTzOid = 1184, JsonOid = 114, JsonbOid = 3802;

    private readonly Dictionary<uint, PgType> _types = [];
    private NpgsqlConnection? _connection;

    /// <summary>The types of <paramref name="oids"/>, read from the catalog when not known yet. An unknown OID renders as text.</summary>
    public async Task<PgType[]> GetAsync(IReadOnlyList<uint> oids, CancellationToken cancellationToken)
    {
        var missing = oids.Where(o => !_types.ContainsKey(o)).Distinct().ToList();
        if (missing.Count > 0)
        {
            await LoadAsync(missing, cancellationToken);
        }

        return oids.Select(o => _types.TryGetValue(o, out var type) ? type : new PgType(o, "oid " + o)).ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
    }

    private sealed record Row(uint Oid, string Name, char TypType, short TypLen, uint Element, uint BaseType, byte Delimiter, uint RelId);

    private async Task LoadAsync(List<uint> oids, CancellationToken cancellationToken)
    {
        _connection ??= await connect(cancellationToken);
        var rows = new Dictionary<uint, Row>();
        var fields = new Dictionary<uint, List<(string Name, uint Type)>>();

        // Element, base and field types are read too, until nothing new is named.
        var wanted = oids;
        while (wanted.Count > 0)
        {
            var composites = new List<uint>();
            await using (var command = new NpgsqlCommand(
                "SELECT t.oid, t.typname, t.typtype, t.typlen, t.typelem, t.typbasetype, t.typdelim, t.typrelid FROM pg_catalog.pg_type t WHERE t.oid = ANY($1)",
                _connection))
            {
                command.Parameters.Add(new NpgsqlParameter<uint[]> { TypedValue = wanted.ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Oid });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    var row = new Row(
                        reader.GetFieldValue<uint>(0), reader.GetString(1), reader.GetChar(2), reader.GetInt16(3),
                        reader.GetFieldValue<uint>(4), reader.GetFieldValue<uint>(5), (byte)reader.GetChar(6), reader.GetFieldValue<uint>(7));
                    rows[row.Oid] = row;
                    if (row.TypType == 'c' && row.RelId != 0)
                    {
                        composites.Add(row.RelId);
                    }
                }
            }

            var named = new List<uint>();
            if (composites.Count > 0)
            {
                await using var command = new NpgsqlCommand(
                    "SELECT t.oid, a.attname, a.atttypid FROM pg_catalog.pg_type t JOIN pg_catalog.pg_attribute a ON a.attrelid = t.typrelid " +
                    "WHERE t.typrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY t.oid, a.attnum",
                    _connection);
                command.Parameters.Add(new NpgsqlParameter<uint[]> { TypedValue = composites.ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Oid });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    var owner = reader.GetFieldValue<uint>(0);
                    if (!fields.TryGetValue(owner, out var list))
                    {
                        fields[owner] = list = [];
                    }

                    var fieldType = reader.GetFieldValue<uint>(2);
                    list.Add((reader.GetString(1), fieldType));
                    named.Add(fieldType);
                }
            }

            named.AddRange(wanted.Where(rows.ContainsKey).SelectMany(o => new[] { rows[o].Element, rows[o].BaseType }));
            wanted = named.Where(o => o != 0 && !rows.ContainsKey(o) && !_types.ContainsKey(o)).Distinct().ToList();
        }

        foreach (var row in rows.Values)
        {
            _types[row.Oid] = new PgType(row.Oid, row.Name);
        }

        foreach (var row in rows.Values)
        {
            Classify(_types[row.Oid], row, rows, fields);
        }
    }

    /// <summary>PostgreSQL's <c>json_categorize_type</c>: domains by their base type, then the built-in cases.</summary>
    private void Classify(PgType type, Row row, Dictionary<uint, Row> rows, Dictionary<uint, List<(string Name, uint Type)>> fields)
    {
        var baseRow = row;
        for (var depth = 0; baseRow.TypType == 'd' && rows.TryGetValue(baseRow.BaseType, out var next) && depth < 32; depth++)
        {
            baseRow = next;
        }

        type.BaseName = baseRow.Name;
        type.Category = baseRow.Oid switch
        {
            BoolOid => JsonCategory.Bool,
            Int2Oid or Int4Oid or Int8Oid or Float4Oid or Float8Oid or NumericOid => JsonCategory.Number,
            DateOid => JsonCategory.Date,
            TimestampOid => JsonCategory.Timestamp,
            TimestampTzOid => JsonCategory.TimestampTz,
            JsonOid or JsonbOid => JsonCategory.Json,
            _ when baseRow.Element != 0 && baseRow.TypLen == -1 => JsonCategory.Array,
            _ when baseRow.TypType == 'c' => JsonCategory.Composite,
            _ => JsonCategory.Other,
        };

        if (type.Category == JsonCategory.Array && _types.TryGetValue(baseRow.Element, out var element))
        {
            type.Element = element;
            type.Delimiter = rows.TryGetValue(baseRow.Element, out var elementRow) ? elementRow.Delimiter : (byte)',';
        }
        else if (type.Category == JsonCategory.Array)
        {
            type.Category = JsonCategory.Other;
        }

        if (type.Category == JsonCategory.Composite)
        {
            type.Fields = (fields.TryGetValue(baseRow.Oid, out var list) ? list : [])
                .Select(f => (JsonKey(f.Name), _types.TryGetValue(f.Type, out var t) ? t : new PgType(f.Type, "oid " + f.Type)))
                .ToArray();
        }
    }

    /// <summary><c>"name":</c> as PostgreSQL's <c>escape_json</c> writes the name.</summary>
    public static byte[] JsonKey(string name)
    {
        var json = new ByteBuilder(name.Length + 3);
        PgJson.WriteString(json, Encoding.UTF8.GetBytes(name));
        json.Append((byte)':');
        return json.ToArray();
    }
}
