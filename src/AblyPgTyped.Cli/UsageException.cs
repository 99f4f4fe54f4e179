using System;

namespace AblyPgTyped.Cli;

/// <summary>The command line asks for something it cannot mean, found only once the database was read (exit 2).</summary>
internal sealed class UsageException(string message) : Exception(message);
