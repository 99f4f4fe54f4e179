using System;

namespace AblyPgTyped.LocalPostgres;

/// <summary>
/// Raised when a local PostgreSQL cluster cannot be located, initialised, started, stopped or reached.
/// The message names the failing command and includes the tail of the server log where one exists;
/// it never contains the password.
/// </summary>
public sealed class LocalPostgresException : Exception
{
    /// <summary>Creates the exception with a message.</summary>
    public LocalPostgresException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the underlying cause.</summary>
    public LocalPostgresException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
