using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Xunit;

namespace AblyPgTyped.LocalAbly.Tests;

/// <summary>A started server plus an HttpClient that authenticates with its key. One per test: servers are cheap.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    public const string Key = "app.key:secret";

    private TestServer(LocalAblyServer server, HttpClient client)
    {
        Server = server;
        Client = client;
    }

    public LocalAblyServer Server { get; }

    public HttpClient Client { get; }

    public static async Task<TestServer> StartAsync(Action<LocalAblyOptions>? configure = null)
    {
        // The plan's limits (Standard unless a test says otherwise) apply, as they do for any caller.
        var options = new LocalAblyOptions { Port = 0, ApiKeys = { Key }, DedupWindow = TimeSpan.FromMinutes(2) };
        configure?.Invoke(options);
        var server = await LocalAblyServer.StartAsync(options);
        var client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = BasicAuth(Key);
        return new TestServer(server, client);
    }

    public static AuthenticationHeaderValue BasicAuth(string key) => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(key)));

    public static string ChannelPath(string channel) => "/channels/" + Uri.EscapeDataString(channel) + "/messages";

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public Task<HttpResponseMessage> PublishAsync(string channel, string json) => Client.PostAsync(ChannelPath(channel), Json(json));

    public Task<HttpResponseMessage> BatchAsync(string json) => Client.PostAsync("/messages", Json(json));

    public async Task<JsonElement> PublishOkAsync(string channel, string json)
    {
        using var response = await PublishAsync(channel, json);
        return await ExpectAsync(response, HttpStatusCode.Created);
    }

    public async Task<JsonElement> BatchOkAsync(string json)
    {
        using var response = await BatchAsync(json);
        return await ExpectAsync(response, HttpStatusCode.Created);
    }

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await Client.GetAsync(path);
        return await ExpectAsync(response, HttpStatusCode.OK);
    }

    public async Task<JsonElement> PostLocalAsync(string pathAndQuery)
    {
        using var response = await Client.PostAsync(pathAndQuery, content: null);
        Assert.True(response.IsSuccessStatusCode, pathAndQuery + " -> " + response.StatusCode + ": " + await response.Content.ReadAsStringAsync());
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    public static async Task<JsonElement> ExpectAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.ToString());
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Asserts a complete Ably error: status, exact content type, body fields and X-Ably-Error* headers.</summary>
    public static async Task<JsonElement> ExpectErrorAsync(HttpResponseMessage response, int status, int code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.ToString());
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error").Clone();
        Assert.Equal(code, error.GetProperty("code").GetInt32());
        Assert.Equal(status, error.GetProperty("statusCode").GetInt32());
        Assert.Equal("https://help.ably.io/error/" + code, error.GetProperty("href").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.Equal(code.ToString(System.Globalization.CultureInfo.InvariantCulture), Header(response, "X-Ably-ErrorCode"));
        Assert.False(string.IsNullOrWhiteSpace(Header(response, "X-Ably-ErrorMessage")));
        return error;
    }

    public static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }
}
