namespace AblyPgTyped.LocalAbly;

/// <summary>The <c>action</c> of a realtime ProtocolMessage (Ably spec TR2).</summary>
internal enum ProtocolAction
{
    Heartbeat = 0,
    Ack = 1,
    Nack = 2,
    Connect = 3,
    Connected = 4,
    Disconnect = 5,
    Disconnected = 6,
    Close = 7,
    Closed = 8,
    Error = 9,
    Attach = 10,
    Attached = 11,
    Detach = 12,
    Detached = 13,
    Presence = 14,
    Message = 15,
    Sync = 16,
    Auth = 17,
    Activate = 18,
    Object = 19,
    ObjectSync = 20,
    Annotation = 21,
}

/// <summary>ProtocolMessage <c>flags</c> bits (Ably spec TR3) the server sets or reads.</summary>
internal static class ProtocolFlags
{
    public const long HasBacklog = 1 << 1;
    public const long Resumed = 1 << 2;
    public const long Publish = 1 << 17;
    public const long Subscribe = 1 << 18;

    /// <summary>The channel modes the server grants: presence and objects are not supported.</summary>
    public const long SupportedModes = Publish | Subscribe;

    /// <summary>Every mode bit (16 to 25).</summary>
    public const long ModeMask = 0x3FF_0000;
}
