using System;

namespace AblyPgTyped;

/// <summary>
/// A subscription cannot go on: Ably refused it (a wrong key, a capability it lacks, an unknown channel name), the
/// endpoint could not be reached when subscribing, or a message is not a change of the subscribed table. The message
/// says which, and never contains the key's secret or a token.
/// </summary>
public sealed class ChangeSubscriptionException : Exception
{
    /// <summary>Creates an exception with no message.</summary>
    public ChangeSubscriptionException()
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public ChangeSubscriptionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and its cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public ChangeSubscriptionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception for an error Ably reported.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="code">Ably's error code, e.g. 40101.</param>
    /// <param name="statusCode">The HTTP status, e.g. 401.</param>
    public ChangeSubscriptionException(string message, int code, int statusCode)
        : base(message)
    {
        Code = code;
        StatusCode = statusCode;
    }

    /// <summary>Ably's error code (e.g. 40101 for invalid credentials), when Ably reported one.</summary>
    public int? Code { get; }

    /// <summary>The HTTP status of Ably's error, when Ably reported one.</summary>
    public int? StatusCode { get; }

    /// <summary>Whether a new connection may succeed (an open subscription then reconnects rather than throw).</summary>
    internal bool IsTransient { get; init; }
}
