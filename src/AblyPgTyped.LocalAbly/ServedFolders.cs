using System;
using System.Collections.Generic;
using System.IO;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;

namespace AblyPgTyped.LocalAbly;

/// <summary>
/// Read-only static files under <c>/_local/{name}/</c> from <see cref="LocalAblyOptions.ServedFolders"/>, so a sample page
/// and the ably-js browser bundle in its <c>node_modules</c> come from the endpoint itself (same origin, no other server).
/// </summary>
internal sealed class ServedFolders
{
    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".mjs"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".json"] = "application/json",
        [".map"] = "application/json",
        [".png"] = "image/png",
        [".svg"] = "image/svg+xml",
        [".ico"] = "image/x-icon",
        [".txt"] = "text/plain; charset=utf-8",
    };

    private readonly Dictionary<string, string> _roots = new(StringComparer.Ordinal);

    public ServedFolders(LocalAblyOptions options)
    {
        foreach (var folder in options.ServedFolders)
        {
            _roots[folder.Key] = Path.GetFullPath(folder.Value);
        }
    }

    /// <summary>Serves <paramref name="route"/> (the decoded path after <c>/_local</c>) if it names a served folder; false otherwise.</summary>
    public bool TryServe(HttpContext context, string route, out Task serving)
    {
        serving = Task.CompletedTask;
        var trimmed = route.TrimStart('/');
        var slash = trimmed.IndexOf('/', StringComparison.Ordinal);
        var name = slash < 0 ? trimmed : trimmed.Substring(0, slash);
        if (!_roots.TryGetValue(name, out var root))
        {
            return false;
        }

        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            throw new AblyException(405, AblyErrors.MethodNotAllowed, "Method " + context.Request.Method + " not allowed here; use GET");
        }

        if (slash < 0)
        {
            // Relative links in the page resolve against the folder, so the folder's address ends with '/'.
            context.Response.StatusCode = StatusCodes.Status308PermanentRedirect;
            context.Response.Headers.Location = "/_local/" + name + "/" + context.Request.QueryString;
            return true;
        }

        var relative = trimmed.Substring(slash + 1);
        if (relative.Length == 0 || relative.EndsWith('/'))
        {
            relative += "index.html";
        }

        var path = Path.GetFullPath(Path.Combine(root, relative));
        if (!path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !File.Exists(path))
        {
            throw new AblyException(404, AblyErrors.NotFound, "Not found: /_local" + route + NotFoundHint(root, relative));
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = ContentTypes.TryGetValue(Path.GetExtension(path), out var type) ? type : "application/octet-stream";
        context.Response.Headers.CacheControl = "no-cache";
        serving = HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.SendFileAsync(path, context.RequestAborted);
        return true;
    }

    private static string NotFoundHint(string root, string relative) =>
        relative.StartsWith("node_modules/", StringComparison.Ordinal) && !Directory.Exists(Path.Combine(root, "node_modules"))
            ? " (the folder has no node_modules: run 'npm ci' in " + root + ")"
            : string.Empty;
}
