namespace AblyPgTyped.Cli;

/// <summary>The process exit codes of <c>ablypg</c>.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The database or the network failed (for example the database is unreachable or refuses the password).</summary>
    public const int Failure = 1;

    /// <summary>The configuration or the command line is invalid.</summary>
    public const int BadConfiguration = 2;
}
