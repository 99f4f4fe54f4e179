namespace AblyPgTyped.Generators;

/// <summary>Names of the pipeline steps, so tests can assert which ones are cached.</summary>
internal static class TrackingNames
{
    /// <summary>Each <c>[AblyTable]</c> type parsed, with located diagnostics (never equal once its file is edited).</summary>
    public const string Parse = nameof(Parse);

    /// <summary>The assembly's <c>[AblyTableDefaults]</c>.</summary>
    public const string Defaults = nameof(Defaults);

    /// <summary>Each parsed type with the defaults applied, with located diagnostics.</summary>
    public const string Resolve = nameof(Resolve);

    /// <summary>Each valid type's equatable spec: the input of its mapping source.</summary>
    public const string Tables = nameof(Tables);

    public const string LanguageVersion = nameof(LanguageVersion);

    /// <summary>The namespace of the registry: the project's root namespace.</summary>
    public const string RegistryNamespace = nameof(RegistryNamespace);

    /// <summary>The registry's equatable spec: the input of its source.</summary>
    public const string Registry = nameof(Registry);

    /// <summary>Every type's table and attribute location, for the checks across types.</summary>
    public const string Identities = nameof(Identities);
}
