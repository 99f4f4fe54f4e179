using System;
using System.Globalization;
using System.Text.Json;

namespace AblyPgTyped.Config;

/// <summary>
/// Typed reads of the original's JSON, each naming the field by its JSON path (e.g. <c>connector[1].operation</c>).
/// Keys are case-sensitive, as in JSON.parse; a key that differs from a known one only in case is reported, not ignored.
/// </summary>
internal readonly struct JsonFields
{
    private readonly JsonElement _object;
    private readonly string _path;
    private readonly ConfigSource _source;

    private JsonFields(JsonElement obj, string path, ConfigSource source)
    {
        _object = obj;
        _path = path;
        _source = source;
    }

    /// <summary>The fields of <paramref name="element"/>, which must be an object.</summary>
    public static JsonFields Of(JsonElement element, string path, ConfigSource source, string purpose) =>
        element.ValueKind == JsonValueKind.Object
            ? new JsonFields(element, path, source)
            : throw source.Error(path, "must be an object (" + purpose + "), not " + Describe(element));

    public static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => "nothing",
    };

    public string Field(string name) => _path.Length == 0 ? name : _path + "." + name;

    /// <summary>The value of <paramref name="name"/>, or null when it is absent or JSON null. The last duplicate wins, as in JSON.parse.</summary>
    public JsonElement? Get(string name)
    {
        JsonElement? found = null;
        string? nearMiss = null;
        foreach (var property in _object.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.Ordinal))
            {
                found = property.Value;
            }
            else if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                nearMiss = property.Name;
            }
        }

        if (found is null && nearMiss is not null)
        {
            throw _source.Error(Field(nearMiss), "is not a known key: keys are case-sensitive; write \"" + name + "\"");
        }

        return found is { ValueKind: JsonValueKind.Null } ? null : found;
    }

    public bool Has(string name) => Get(name) is not null;

    /// <summary>A string that must be present and not blank.</summary>
    public string RequiredString(string name, string purpose)
    {
        var field = Field(name);
        var value = Get(name) ?? throw _source.Error(field, "is missing: " + purpose);
        var text = value.ValueKind == JsonValueKind.String ? value.GetString()! : throw _source.Error(field, "must be a string (" + purpose + "), not " + Describe(value));
        return string.IsNullOrWhiteSpace(text) ? throw _source.Error(field, "is empty: " + purpose) : text;
    }

    /// <summary>A string, or null when absent.</summary>
    public string? OptionalString(string name, string purpose)
    {
        var value = Get(name);
        return value is null ? null
            : value.Value.ValueKind == JsonValueKind.String ? value.Value.GetString()
            : throw _source.Error(Field(name), "must be a string (" + purpose + "), not " + Describe(value.Value));
    }

    /// <summary>A port: a whole number from 1 to 65535, or a string holding one (as node's pg accepts). Null when absent.</summary>
    public int? OptionalPort(string name)
    {
        var field = Field(name);
        var value = Get(name);
        switch (value?.ValueKind)
        {
            case null:
                return null;
            case JsonValueKind.Number:
                return value.Value.TryGetInt32(out var port) && port is >= 1 and <= 65535
                    ? port
                    : throw _source.Error(field, value.Value.GetRawText() + " is not a port number: use a whole number from 1 to 65535");
            case JsonValueKind.String:
                return ConfigRules.Port(_source, field, value.Value.GetString()!);
            default:
                throw _source.Error(field, "must be a port number, not " + Describe(value.Value));
        }
    }

    /// <summary>true or false, or null when absent.</summary>
    public bool? OptionalBoolean(string name, string purpose)
    {
        var value = Get(name);
        return value?.ValueKind switch
        {
            null => null,
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw _source.Error(Field(name), "must be true or false (" + purpose + "), not " + Describe(value.Value)),
        };
    }

    /// <summary>The element at <paramref name="index"/> of an array field, for messages: <c>connector[1]</c>.</summary>
    public static string Index(string path, int index) => path + "[" + index.ToString(CultureInfo.InvariantCulture) + "]";
}
