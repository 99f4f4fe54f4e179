using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using Xunit;

namespace AblyPgTyped.LocalAbly.Tests;

/// <summary>LocalAblyOptions.ServedFolders: a sample page and its node_modules served under /_local/{name}/.</summary>
public sealed class ServedFolderTests
{
    [Fact]
    public async Task A_served_folder_answers_its_files_and_nothing_outside_it()
    {
        var folder = Directory.CreateTempSubdirectory("ablypg-served-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "index.html"), "<p>page</p>");
            Directory.CreateDirectory(Path.Combine(folder.FullName, "lib"));
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "lib", "app.js"), "console.log(1)");
            await File.WriteAllTextAsync(Path.Combine(folder.Parent!.FullName, folder.Name + "-secret.txt"), "outside");

            await using var t = await TestServer.StartAsync(o => o.ServedFolders["page"] = folder.FullName);
            using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = t.Server.BaseAddress };

            using var redirect = await anonymous.GetAsync("/_local/page?channels=a");
            Assert.Equal(HttpStatusCode.PermanentRedirect, redirect.StatusCode);
            Assert.Equal("/_local/page/?channels=a", redirect.Headers.Location?.ToString());

            using var index = await anonymous.GetAsync("/_local/page/?channels=a");
            Assert.Equal("text/html; charset=utf-8", index.Content.Headers.ContentType?.ToString());
            Assert.Equal("<p>page</p>", await index.Content.ReadAsStringAsync());

            using var script = await anonymous.GetAsync("/_local/page/lib/app.js");
            Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);

            using var escape = await anonymous.GetAsync("/_local/page/..%2F" + folder.Name + "-secret.txt");
            await TestServer.ExpectErrorAsync(escape, 404, 40400);
            using var missing = await anonymous.GetAsync("/_local/page/node_modules/ably/build/ably.min.js");
            Assert.Contains("npm ci", (await TestServer.ExpectErrorAsync(missing, 404, 40400)).GetProperty("message").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(Path.Combine(folder.Parent!.FullName, folder.Name + "-secret.txt"));
            folder.Delete(recursive: true);
        }
    }
}
