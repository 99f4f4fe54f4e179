using System;

namespace AblyPgTyped.Capture;

/// <summary>
/// Which schemas may hold the capture store. The capture schema belongs to the connector alone: uninstalling removes
/// what it installed there, so it must never be a schema that the database or the application uses for its own objects.
/// </summary>
internal static class CaptureSchemaRules
{
    /// <summary>Why <paramref name="schema"/> cannot be the capture schema ("it is …"), or null when it may be.</summary>
    public static string? Problem(string schema)
    {
        if (schema.Equals("public", StringComparison.OrdinalIgnoreCase))
        {
            return "it is the database's default schema, which holds the application's own tables";
        }

        if (schema.Equals("information_schema", StringComparison.OrdinalIgnoreCase) || schema.StartsWith("pg_", StringComparison.OrdinalIgnoreCase))
        {
            return "it is reserved for PostgreSQL's own objects";
        }

        return null;
    }

    /// <summary>The advice that follows a problem.</summary>
    public const string Advice = "the capture schema must be a schema of the connector's own (default " + CaptureSql.DefaultSchema + ")";
}
