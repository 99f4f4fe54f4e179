namespace AblyPgTyped.Config;

/// <summary>The capture mode in the original's configuration files: <c>capture</c> in JSON, <c>ABLYPG_CAPTURE</c> in the environment.</summary>
internal static class CaptureModeSetting
{
    /// <summary><c>triggers</c>, or <c>logical</c> / <c>logical-replication</c> / <c>logicalReplication</c> (any case, spaces around ignored).</summary>
    public static CaptureMode Parse(ConfigSource source, string field, string text) =>
        text.Trim().Replace("-", "", System.StringComparison.Ordinal).Replace("_", "", System.StringComparison.Ordinal).ToUpperInvariant() switch
        {
            "TRIGGERS" or "TRIGGER" => CaptureMode.Triggers,
            "LOGICAL" or "LOGICALREPLICATION" => CaptureMode.LogicalReplication,
            _ => throw source.Error(field, "\"" + text + "\" is not a capture mode: use triggers (the default) or logical-replication"),
        };
}
