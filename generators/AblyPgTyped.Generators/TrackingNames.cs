namespace AblyPgTyped.Generators;

/// <summary>Names of the pipeline steps, so tests can assert that each one is cached.</summary>
internal static class TrackingNames
{
    public const string Parse = nameof(Parse);
    public const string Diagnostics = nameof(Diagnostics);
    public const string Tables = nameof(Tables);
    public const string LanguageVersion = nameof(LanguageVersion);
    public const string Registry = nameof(Registry);
}
