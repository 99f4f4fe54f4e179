using System;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace AblyPgTyped;

/// <summary>
/// Reads server-sent events from a stream, as the SSE specification parses them: <c>field: value</c> lines, comments
/// (Ably's <c>:keepalive</c>), several <c>data</c> lines joined by line feeds, an event dispatched at a blank line.
/// A stream silent for longer than the idle timeout, keepalives included, is reported as dropped.
/// </summary>
internal sealed class SseEventReader(Stream stream, TimeSpan idleTimeout) : IDisposable
{
    private readonly StreamReader _reader = new(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false);

    /// <summary>The next event; null at the end of the stream.</summary>
    /// <exception cref="TimeoutException">Nothing arrived for the idle timeout.</exception>
    public async Task<SseEvent?> ReadAsync(CancellationToken cancellationToken)
    {
        string? type = null, id = null;
        StringBuilder? data = null;
        while (await ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0)
            {
                if (data is not null)
                {
                    return new SseEvent(type ?? "message", id, data.ToString());
                }

                type = id = null;
                continue;
            }

            if (line[0] == ':')
            {
                continue; // a comment: Ably's keepalive
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..];
            if (value.StartsWith(' '))
            {
                value = value[1..];
            }

            switch (field)
            {
                case "event": type = value; break;
                case "id": id = value; break;
                case "data" when data is null: data = new StringBuilder(value); break;
                case "data": data.Append('\n').Append(value); break;
            }
        }

        return null;
    }

    public void Dispose() => _reader.Dispose();

    private async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        idle.CancelAfter(idleTimeout);
        try
        {
            return await _reader.ReadLineAsync(idle.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The stream was silent for {idleTimeout.TotalSeconds:0.#} s (no message and no keepalive).");
        }
    }
}
