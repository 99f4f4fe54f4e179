using System;

namespace AblyPgTyped.Capture.Logical;

/// <summary>The replication stream failed; the message says why and, when known, what to do. The connector retries.</summary>
public sealed class LogicalReplicationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LogicalReplicationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public LogicalReplicationException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
