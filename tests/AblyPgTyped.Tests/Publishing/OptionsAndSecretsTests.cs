using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.LocalAbly;
using AblyPgTyped.Publishing;
using Microsoft.Extensions.Configuration;
using Xunit;
using static AblyPgTyped.Tests.Publishing.PublishingTestKit;

namespace AblyPgTyped.Tests.Publishing;

/// <summary>Option validation, TLS warnings, request headers, and the API key secret never leaking.</summary>
public sealed class OptionsAndSecretsTests
{
    [Fact]
    public void Defaults_MatchAblyLimits()
    {
        var options = new AblyOptions { ApiKey = Key };
        options.Validate();
        Assert.True(options.Tls);
        Assert.Null(options.RestHost);
        Assert.Null(options.Port);
        Assert.Null(options.FallbackHosts);
        Assert.Equal(TimeSpan.FromSeconds(10), options.RequestTimeout);
        Assert.Equal(TimeSpan.FromSeconds(15), options.MaxRetryDuration);
        Assert.Null(options.MaxMessageSize);
        Assert.Equal(AblyPlan.Standard, options.Plan);
        Assert.Equal(new AblyLimits(50, 2_500, 362, 65_536), options.Limits);
        Assert.InRange(options.MaxRequestBytes, 2_000_000, (2 * 1024 * 1024) - 1);
        Assert.Equal(100, options.MaxChannelsPerRequest);
        Assert.Equal(1000, options.MaxMessagesPerChannelSpec);
        Assert.Equal("main.realtime.ably.net", options.EffectiveRestHost);
        Assert.Equal(443, options.EffectivePort);
        Assert.Equal(5, options.EffectiveFallbackHosts.Count);
        Assert.All(options.EffectiveFallbackHosts, h => Assert.EndsWith(".fallback.ably-realtime.com", h, StringComparison.Ordinal));
    }

    [Fact]
    public void BindsFromConfiguration()
    {
        const string Json = """
            {"Ably": {"ApiKey": "app.key:s", "RestHost": "ably.internal.example", "Port": 8443, "Tls": true,
                      "FallbackHosts": ["f1.example", "f2.example"], "RequestTimeout": "00:00:03", "MaxRetryDuration": "00:01:00",
                      "MaxMessageSize": 262144, "MaxRequestBytes": 1000000, "MaxChannelsPerRequest": 50, "MaxMessagesPerChannelSpec": 200}}
            """;
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(Json));
        IConfiguration configuration = new ConfigurationBuilder().AddJsonStream(stream).Build();

        var options = configuration.GetSection("Ably").Get<AblyOptions>()!;

        options.Validate();
        Assert.Equal("app.key:s", options.ApiKey);
        Assert.Equal("ably.internal.example", options.RestHost);
        Assert.Equal(8443, options.Port);
        Assert.Equal(new[] { "f1.example", "f2.example" }, options.FallbackHosts);
        Assert.Equal(TimeSpan.FromSeconds(3), options.RequestTimeout);
        Assert.Equal(TimeSpan.FromMinutes(1), options.MaxRetryDuration);
        Assert.Equal(262144, options.MaxMessageSize);
        Assert.Equal(1_000_000, options.MaxRequestBytes);
        Assert.Equal(50, options.MaxChannelsPerRequest);
        Assert.Equal(200, options.MaxMessagesPerChannelSpec);
    }

    [Fact]
    public void FallbackDefaults_DependOnTheHost()
    {
        Assert.Empty(new AblyOptions { ApiKey = Key, RestHost = "ably.example.com" }.EffectiveFallbackHosts);
        Assert.Empty(new AblyOptions { ApiKey = Key, FallbackHosts = new List<string>() }.EffectiveFallbackHosts);
        Assert.Equal(new[] { "b.example.com" }, new AblyOptions { ApiKey = Key, RestHost = "a.example.com", FallbackHosts = new List<string> { "b.example.com", "a.example.com" } }.EffectiveFallbackHosts);
        Assert.Equal(80, new AblyOptions { ApiKey = Key, Tls = false }.EffectivePort);
    }

    public static TheoryData<string, Action<AblyOptions>, string> InvalidOptions() => new()
    {
        { "ApiKey", o => o.ApiKey = null, "missing" },
        { "ApiKey", o => o.ApiKey = "   ", "missing" },
        { "ApiKey", o => o.ApiKey = Secret, "no ':'" },
        { "ApiKey", o => o.ApiKey = ":" + Secret, "empty key name" },
        { "ApiKey", o => o.ApiKey = KeyName + ":", "empty secret" },
        { "ApiKey", o => o.ApiKey = KeyName + ": " + Secret, "whitespace" },
        { "RestHost", o => o.RestHost = "https://rest.example.com", "scheme" },
        { "RestHost", o => o.RestHost = "rest.example.com/v1", "path" },
        { "RestHost", o => o.RestHost = "rest.example.com:8080", "Port" },
        { "RestHost", o => o.RestHost = "", "empty" },
        { "RestHost", o => o.RestHost = "bad host", "whitespace" },
        { "RestHost", o => o.RestHost = "[::1]:80", "IPv6" },
        { "Port", o => o.Port = 0, "between 1 and 65535" },
        { "Port", o => o.Port = 70000, "between 1 and 65535" },
        { "FallbackHosts", o => o.FallbackHosts = new List<string> { "ok.example.com", "http://x" }, "entry 1" },
        { "RequestTimeout", o => o.RequestTimeout = TimeSpan.Zero, "positive" },
        { "RequestTimeout", o => o.RequestTimeout = Timeout.InfiniteTimeSpan, "positive" },
        { "MaxRetryDuration", o => o.MaxRetryDuration = TimeSpan.FromSeconds(-1), "negative" },
        { "MaxMessageSize", o => o.MaxMessageSize = 0, "positive" },
        { "MaxRequestBytes", o => o.MaxRequestBytes = -5, "positive" },
        { "MaxRequestBytes", o => o.MaxRequestBytes = 100, "too small" },
        { "MaxChannelsPerRequest", o => o.MaxChannelsPerRequest = 0, "positive" },
        { "MaxMessagesPerChannelSpec", o => o.MaxMessagesPerChannelSpec = -1, "positive" },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Validate_NamesTheOptionAndTheProblem_WithoutTheSecret(string option, Action<AblyOptions> breakIt, string problem)
    {
        var options = new AblyOptions { ApiKey = Key };
        breakIt(options);

        var ex = Assert.Throws<AblyConfigurationException>(options.Validate);

        Assert.Contains("AblyOptions." + option, ex.Message, StringComparison.Ordinal);
        Assert.Contains(problem, ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(option, ex.OptionName);
        Assert.DoesNotContain(Secret, ex.Message, StringComparison.Ordinal);
        Assert.Throws<AblyConfigurationException>(() => new AblyRestPublisher(options));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    [InlineData("::1")]
    [InlineData("[::1]")]
    [InlineData("rest.example.com")]
    [InlineData("10.1.2.3")]
    public void Validate_AcceptsHostNamesAndAddresses(string host)
    {
        new AblyOptions { ApiKey = Key, RestHost = host, Port = 8080 }.Validate();
    }

    [Fact]
    public void PlainHttp_ToANonLoopbackHost_WarnsOnce_ButLoopbackDoesNot()
    {
        var remote = new TestLogger();
        using (new AblyRestPublisher(new AblyOptions { ApiKey = Key, RestHost = "ably.example.com", Tls = false, FallbackHosts = new List<string> { "b.example.com", "c.example.com" } }, remote))
        {
        }

        var local = new TestLogger();
        using (new AblyRestPublisher(new AblyOptions { ApiKey = Key, RestHost = "localhost", Tls = false, FallbackHosts = new List<string> { "127.0.0.1", "[::1]" } }, local))
        {
        }

        var tls = new TestLogger();
        using (new AblyRestPublisher(new AblyOptions { ApiKey = Key }, tls))
        {
        }

        Assert.Equal(1, remote.Count(3001));
        Assert.Contains(KeyName, remote.AllText, StringComparison.Ordinal);
        Assert.Equal(0, local.Count(3001));
        Assert.Equal(0, tls.Count(3001));
        Assert.DoesNotContain(Secret, remote.AllText + local.AllText + tls.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public void ApiKey_ParsesAtTheFirstColon_AndHidesTheSecret()
    {
        var key = AblyApiKey.Parse("app.key:sec:ret");
        Assert.Equal("app.key", key.KeyName);
        Assert.Equal("app.key:***", key.ToString());
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("app.key:sec:ret")), key.BasicAuthorizationHeaderValue);
        Assert.Equal("x *** y *** z", key.Redact("x sec:ret y " + key.BasicAuthorizationParameter + " z"));
        Assert.DoesNotContain("sec:ret", AblyApiKey.Parse(Key).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryRequest_CarriesAblyHeaders()
    {
        // A pass-through recorder around a real socket handler: the local server does not expose request headers.
        await using var server = await StartServerAsync();
        using var recorder = new RecordingHandler();
        using var publisher = new AblyRestPublisher(OptionsFor(server), handler: recorder);

        var result = Assert.Single(await publisher.PublishAsync(new[] { new ChannelBatch("h", Messages("h", 1)) }, CancellationToken.None));

        Assert.Equal(PublishStatus.Accepted, result.Status);
        var request = Assert.Single(recorder.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("/messages", request.RequestUri!.AbsolutePath);
        Assert.Equal(AblyRestPublisher.ProtocolVersion, Assert.Single(request.Headers.GetValues("X-Ably-Version")));
        Assert.True(int.Parse(AblyRestPublisher.ProtocolVersion, System.Globalization.CultureInfo.InvariantCulture) >= 3, "protocol ≥ 3 for BatchResult responses");
        var agent = Assert.Single(request.Headers.GetValues("Ably-Agent"));
        Assert.Matches(@"^ablypgtyped/0\.1\.0 dotnet/\d+\.\d+\.\d+$", agent);
        Assert.Equal("application/json", Assert.Single(request.Headers.Accept).MediaType);
        Assert.Equal("application/json", request.Content!.Headers.ContentType!.MediaType);
        Assert.Equal("Basic", request.Headers.Authorization!.Scheme);
        Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes(Key)), request.Headers.Authorization.Parameter);
    }

    [Fact]
    public async Task TheSecret_NeverAppears_InLogsResultsOrExceptions()
    {
        var logger = new TestLogger();
        var texts = new List<string>();

        // 1. Malformed keys that contain the secret.
        foreach (var bad in new[] { Secret, ":" + Secret, KeyName + ": " + Secret, KeyName + ":" + Secret + "\n" })
        {
            var ex = Assert.Throws<AblyConfigurationException>(() => new AblyRestPublisher(new AblyOptions { ApiKey = bad }, logger));
            texts.Add(ex.ToString());
        }

        var hostError = Assert.Throws<AblyConfigurationException>(() =>
            new AblyRestPublisher(new AblyOptions { ApiKey = Key, RestHost = "x" + Secret + "/y" }, logger));
        Assert.Equal("RestHost", hostError.OptionName);

        await using var server = await StartServerAsync();
        var downPort = FreePort();

        // 2. Error paths over HTTP, with a server that even echoes the secret in its error message.
        server.Faults.FailNext(1, statusCode: 500, errorCode: 50000, message: "boom " + Secret);
        server.Faults.FailNext(1, statusCode: 400, errorCode: 40000, message: "bad " + Secret + " " + Convert.ToBase64String(Encoding.UTF8.GetBytes(Key)));
        server.Faults.FailNext(1, statusCode: 429, errorCode: 42913, message: "slow " + Secret, channel: "c", target: FaultTarget.BatchPublish);
        var publishers = new[]
        {
            new AblyRestPublisher(OptionsFor(server, o => o.RequestTimeout = TimeSpan.FromMilliseconds(300)), logger),
            new AblyRestPublisher(OptionsFor(server, o => o.ApiKey = KeyName + ":" + Secret + "-wrong"), logger),
            new AblyRestPublisher(OptionsFor(downPort, o => o.MaxRetryDuration = TimeSpan.FromMilliseconds(300)), logger),
            new AblyRestPublisher(OptionsFor(server, o => { o.RestHost = "127.0.0.2"; o.FallbackHosts = new List<string> { "127.0.0.1" }; o.MaxMessageSize = 500; }), logger),
        };
        try
        {
            foreach (var publisher in publishers)
            {
                texts.Add(publisher.ToString()!);
                var batches = new[]
                {
                    new ChannelBatch("a", Messages("a" + texts.Count, 3)),
                    new ChannelBatch("c", Messages("c" + texts.Count, 3)),
                    new ChannelBatch("big", new[] { Message("big" + texts.Count, data: "\"" + new string('q', 600) + "\"") }),
                };
                foreach (var result in await publisher.PublishAsync(batches, CancellationToken.None))
                {
                    texts.Add(result.ToString());
                    texts.Add(result.Error?.Message ?? string.Empty);
                }
            }

            // 3. A timeout, then a cancellation.
            server.Faults.AddLatency(TimeSpan.FromSeconds(1), count: 1);
            foreach (var result in await publishers[0].PublishAsync(new[] { new ChannelBatch("t", Messages("t", 1)) }, CancellationToken.None))
            {
                texts.Add(result.ToString());
            }

            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
            server.Faults.AddLatency(TimeSpan.FromSeconds(5), count: 1);
            var cancelled = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => publishers[0].PublishAsync(new[] { new ChannelBatch("x", Messages("x", 1)) }, cts.Token));
            texts.Add(cancelled.ToString());
        }
        finally
        {
            foreach (var publisher in publishers)
            {
                publisher.Dispose();
            }
        }

        var everything = string.Join("\n", texts) + "\n" + logger.AllText;
        Assert.Contains("Unauthorized", everything, StringComparison.Ordinal); // the error paths did run
        Assert.Contains("RetryLater", everything, StringComparison.Ordinal);
        Assert.Contains("Rejected", everything, StringComparison.Ordinal);
        Assert.Contains("boom ***", logger.AllText, StringComparison.Ordinal);
        Assert.Contains(logger.Entries, e => e.Text.Contains("50003", StringComparison.Ordinal)); // the timeout happened
        Assert.DoesNotContain(Secret, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(Key)), everything, StringComparison.Ordinal);
    }

    private sealed class RecordingHandler : DelegatingHandler
    {
        private readonly List<HttpRequestMessage> _requests = new();

        public RecordingHandler()
            : base(new SocketsHttpHandler())
        {
        }

        public IReadOnlyList<HttpRequestMessage> Requests
        {
            get
            {
                lock (_requests)
                {
                    return _requests.ToList();
                }
            }
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (_requests)
            {
                _requests.Add(request);
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
