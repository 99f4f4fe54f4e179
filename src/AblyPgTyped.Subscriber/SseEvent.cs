namespace AblyPgTyped;

/// <summary>One server-sent event: its type (<c>message</c> when the stream names none), id (null when it has none) and data.</summary>
internal sealed record SseEvent(string Type, string? Id, string Data);
