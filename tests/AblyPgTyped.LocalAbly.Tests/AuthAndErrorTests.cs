using System;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading.Tasks;
using Xunit;

namespace AblyPgTyped.LocalAbly.Tests;

public sealed class AuthAndErrorTests
{
    [Fact]
    public async Task Missing_credentials_get_401_40101_with_exact_json_content_type_and_headers()
    {
        await using var t = await TestServer.StartAsync();
        using var anonymous = new HttpClient { BaseAddress = t.Server.BaseAddress };
        using var response = await anonymous.PostAsync(TestServer.ChannelPath("x"), TestServer.Json("""{"data":"x"}"""));
        await TestServer.ExpectErrorAsync(response, 401, 40101);

        // The raw header must be exactly application/json: ably-js (Node) ignores error bodies with "; charset=utf-8".
        Assert.Equal("application/json", string.Join(",", response.Content.Headers.GetValues("Content-Type")));
        Assert.Equal(0, t.Server.AcceptedMessageCount);
        Assert.Equal(1, t.Server.GetStats().AuthFailures);
    }

    [Theory]
    [InlineData("app.key:Zq9wrongvalue")]
    [InlineData("other.key:Zq9wrongvalue")]
    [InlineData("no-colon-Zq9wrongvalue")]
    public async Task Wrong_credentials_get_40101_and_never_echo_the_secret(string key)
    {
        await using var t = await TestServer.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, TestServer.ChannelPath("x")) { Content = TestServer.Json("""{"data":"x"}""") };
        request.Headers.Authorization = TestServer.BasicAuth(key);
        using var response = await t.Client.SendAsync(request);
        await TestServer.ExpectErrorAsync(response, 401, 40101);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("Zq9wrongvalue", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Zq9wrongvalue", TestServer.Header(response, "X-Ably-ErrorMessage") ?? string.Empty, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Key_query_parameter_is_accepted()
    {
        await using var t = await TestServer.StartAsync();
        using var anonymous = new HttpClient { BaseAddress = t.Server.BaseAddress };
        using var response = await anonymous.PostAsync(TestServer.ChannelPath("q") + "?key=" + Uri.EscapeDataString(TestServer.Key), TestServer.Json("""{"data":"x"}"""));
        await TestServer.ExpectAsync(response, System.Net.HttpStatusCode.Created);
    }

    [Fact]
    public async Task Bearer_tokens_work_only_when_the_local_token_endpoint_issued_them()
    {
        await using var t = await TestServer.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, TestServer.ChannelPath("x"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "dG9rZW4=");
        using var response = await t.Client.SendAsync(request);
        var error = await TestServer.ExpectErrorAsync(response, 401, 40143);
        Assert.Contains("Token", error.GetProperty("message").GetString(), StringComparison.Ordinal);

        using var anonymous = new HttpClient { BaseAddress = t.Server.BaseAddress };
        var token = await anonymous.GetStringAsync("/_local/token");
        using var issued = new HttpRequestMessage(HttpMethod.Get, TestServer.ChannelPath("x"));
        issued.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(token)));
        using var accepted = await anonymous.SendAsync(issued);
        await TestServer.ExpectAsync(accepted, System.Net.HttpStatusCode.OK);
    }

    [Fact]
    public async Task Empty_key_list_disables_auth()
    {
        await using var t = await TestServer.StartAsync(o => o.ApiKeys.Clear());
        using var anonymous = new HttpClient { BaseAddress = t.Server.BaseAddress };
        using var response = await anonymous.PostAsync(TestServer.ChannelPath("open"), TestServer.Json("""{"data":"x"}"""));
        await TestServer.ExpectAsync(response, System.Net.HttpStatusCode.Created);
    }

    [Fact]
    public async Task Msgpack_requests_get_415_telling_to_disable_the_binary_protocol()
    {
        await using var t = await TestServer.StartAsync();
        var content = new ByteArrayContent(new byte[] { 0x91, 0x80 });
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-msgpack");
        using var response = await t.Client.PostAsync(TestServer.ChannelPath("m"), content);
        var error = await TestServer.ExpectErrorAsync(response, 415, 40000);
        Assert.Contains("useBinaryProtocol", error.GetProperty("message").GetString(), StringComparison.Ordinal);

        using var history = new HttpRequestMessage(HttpMethod.Get, TestServer.ChannelPath("m"));
        history.Headers.Accept.ParseAdd("application/x-msgpack");
        using var historyResponse = await t.Client.SendAsync(history);
        await TestServer.ExpectErrorAsync(historyResponse, 415, 40000);
    }

    [Fact]
    public async Task Malformed_json_unknown_routes_and_wrong_methods_are_ably_errors()
    {
        await using var t = await TestServer.StartAsync();
        using var badJson = await t.PublishAsync("j", "{not json");
        await TestServer.ExpectErrorAsync(badJson, 400, 40001);
        using var empty = await t.PublishAsync("j", string.Empty);
        await TestServer.ExpectErrorAsync(empty, 400, 40001);
        using var wrongShape = await t.PublishAsync("j", "42");
        await TestServer.ExpectErrorAsync(wrongShape, 400, 40001);
        using var unknown = await t.Client.GetAsync("/nope");
        await TestServer.ExpectErrorAsync(unknown, 404, 40400);
        using var wrongMethod = await t.Client.DeleteAsync(TestServer.ChannelPath("j"));
        await TestServer.ExpectErrorAsync(wrongMethod, 405, 40500);
    }

    [Fact]
    public async Task Cors_headers_are_sent_for_browser_origins()
    {
        await using var t = await TestServer.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Options, TestServer.ChannelPath("c"));
        request.Headers.Add("Origin", "http://localhost:3000");
        request.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
        using var preflight = await t.Client.SendAsync(request);
        Assert.Equal(204, (int)preflight.StatusCode);
        Assert.Equal("http://localhost:3000", TestServer.Header(preflight, "Access-Control-Allow-Origin"));
        Assert.Equal("true", TestServer.Header(preflight, "Access-Control-Allow-Credentials"));
        Assert.Contains("X-Ably-ErrorCode", TestServer.Header(preflight, "Access-Control-Expose-Headers"), StringComparison.Ordinal);
    }
}
