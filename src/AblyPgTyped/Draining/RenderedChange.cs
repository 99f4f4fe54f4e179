using System;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Capture;

namespace AblyPgTyped.Draining;

/// <summary>
/// A change whose message is rendered and that has no handlers to run: its route and position without its rows. What
/// waits for Ably is held in memory until Ably accepts it, often long enough for the garbage collector to promote it
/// to its oldest generation; the rows of a change without handlers are needed only to render it, so they are let go
/// at once and die young.
/// </summary>
internal sealed class RenderedChange(DecodedChange change)
    : DecodedChange(change.Mapping, change.Kind, change.Position, change.CapturedAt, change.Channel)
{
    public override bool Moved { get; } = change.Moved;

    public override bool HasHandlers => false;

    public override void WriteData(Utf8JsonWriter writer) => throw Rendered();

    public override void WriteCompatibleData(Utf8JsonWriter writer) => throw Rendered();

    public override Task InvokeHandlersAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static InvalidOperationException Rendered() => new("The change's message was rendered already; its rows were let go.");
}
