namespace AblyPgTyped;

/// <summary>What a connector is doing in its capture schema.</summary>
public enum ConnectorRole
{
    /// <summary>Not started, or stopped.</summary>
    Stopped,

    /// <summary>Another connector is active; this one takes over when it goes (or it is reconnecting to the database).</summary>
    Standby,

    /// <summary>The active connector: it publishes the capture schema's changes.</summary>
    Active,
}
