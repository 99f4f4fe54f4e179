using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace AblyPgTyped.LocalAbly;

/// <summary><c>GET /channels/{name}/messages</c>: history with Ably's relative <c>Link</c> paging.</summary>
internal sealed class HistoryEndpoint
{
    private const int DefaultLimit = 100;
    private const int MaxLimit = 1000;
    private readonly ServerCore _core;

    public HistoryEndpoint(ServerCore core) => _core = core;

    public async Task HandleAsync(HttpContext context, string channel)
    {
        ServerCounters.Increment(ref _core.Counters.HistoryRequests);
        ChannelNames.EnsureValid(channel);
        RequestBodies.EnsureJsonAccepted(context.Request);

        var query = context.Request.Query;
        var limit = (int)(ReadLong(query, "limit", 1, MaxLimit) ?? DefaultLimit);
        var backwards = ReadDirection(query);
        var start = ReadLong(query, "start", 0, long.MaxValue);
        var end = ReadLong(query, "end", 0, long.MaxValue);
        var cursor = ReadLong(query, "cursor", 1, long.MaxValue) ?? 0;
        if (start is { } from && end is { } to && from > to)
        {
            throw new AblyException(400, AblyErrors.InvalidParameter, "Invalid history parameters: start must not be after end");
        }

        (var proceed, _) = await _core.ApplyFaultsAsync(context, FaultTarget.History, new[] { channel }).ConfigureAwait(false);
        if (!proceed)
        {
            return;
        }

        var hasMore = false;
        var page = _core.Channels.TryGet(channel)?.Query(backwards, limit, start, end, cursor, out hasMore)
            ?? new List<ReceivedMessage>();

        // ably-js only follows links of the form <./messages?...>; rel="..." and splits the header on commas.
        var links = new StringBuilder();
        AppendLink(links, BuildQuery(limit, backwards, start, end, 0), "first");
        AppendLink(links, BuildQuery(limit, backwards, start, end, cursor), "current");
        if (hasMore)
        {
            AppendLink(links, BuildQuery(limit, backwards, start, end, page[^1].ChannelSequence), "next");
        }

        context.Response.Headers.Link = links.ToString();
        var writer = JsonOutput.Begin(context, StatusCodes.Status200OK);
        writer.WriteStartArray();
        foreach (var message in page)
        {
            message.WriteJson(writer, includeChannel: false);
        }

        writer.WriteEndArray();
        await JsonOutput.EndAsync(context, writer).ConfigureAwait(false);
    }

    private static void AppendLink(StringBuilder links, string query, string rel)
    {
        if (links.Length > 0)
        {
            links.Append(", ");
        }

        links.Append("<./messages?").Append(query).Append(">; rel=\"").Append(rel).Append('"');
    }

    private static string BuildQuery(int limit, bool backwards, long? start, long? end, long cursor)
    {
        var builder = new StringBuilder();
        builder.Append("limit=").Append(limit.ToString(CultureInfo.InvariantCulture));
        builder.Append("&direction=").Append(backwards ? "backwards" : "forwards");
        if (start is { } from)
        {
            builder.Append("&start=").Append(from.ToString(CultureInfo.InvariantCulture));
        }

        if (end is { } to)
        {
            builder.Append("&end=").Append(to.ToString(CultureInfo.InvariantCulture));
        }

        if (cursor > 0)
        {
            builder.Append("&cursor=").Append(cursor.ToString(CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }

    private static bool ReadDirection(IQueryCollection query)
    {
        if (!query.TryGetValue("direction", out var values) || StringValues.IsNullOrEmpty(values))
        {
            return true;
        }

        return values[0] switch
        {
            "backwards" => true,
            "forwards" => false,
            _ => throw new AblyException(400, AblyErrors.InvalidParameter, "Invalid history parameter direction: expected \"backwards\" or \"forwards\""),
        };
    }

    private static long? ReadLong(IQueryCollection query, string name, long min, long max)
    {
        if (!query.TryGetValue(name, out var values) || StringValues.IsNullOrEmpty(values))
        {
            return null;
        }

        if (!long.TryParse(values[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            var range = max == long.MaxValue ? "an integer >= " + min : "an integer from " + min + " to " + max;
            throw new AblyException(400, AblyErrors.InvalidParameter, "Invalid history parameter " + name + ": expected " + range);
        }

        return value;
    }
}
