namespace AblyPgTyped.LocalAbly;

/// <summary>One channel attached on one connection: where delivery stands. Owned by the connection's send loop.</summary>
internal sealed class ChannelSubscription
{
    public ChannelSubscription(string channel, string? incarnation, long cursor)
    {
        Channel = channel;
        Incarnation = incarnation;
        Cursor = cursor;
    }

    public string Channel { get; }

    /// <summary>The channel instance the cursor refers to; null while the channel has not been published to.</summary>
    public string? Incarnation { get; set; }

    /// <summary>The sequence of the last message delivered (or skipped as the connection's own echo).</summary>
    public long Cursor { get; set; }

    public string Serial => new ChannelPosition(Incarnation ?? ChannelPosition.NoChannel, Cursor).ToString();
}
