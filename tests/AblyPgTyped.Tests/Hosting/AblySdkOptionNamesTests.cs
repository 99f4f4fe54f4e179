using System;
using System.Collections.Generic;
using AblyPgTyped.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace AblyPgTyped.Tests.Hosting;

/// <summary>The Ably options bind under the Ably SDK's <c>ClientOptions</c> names as well as under their own.</summary>
public sealed class AblySdkOptionNamesTests
{
    [Fact]
    public void The_Ably_SDK_names_bind_with_unknown_keys_refused()
    {
        var options = Bind(new Dictionary<string, string?>
        {
            ["AblyPg:Ably:Key"] = ConnectorHarness.ApiKey,
            ["AblyPg:Ably:RestHost"] = "rest.example.com",
            ["AblyPg:Ably:Port"] = "8443",
            ["AblyPg:Ably:Tls"] = "true",
            ["AblyPg:Ably:FallbackHosts:0"] = "a.example.com",
            ["AblyPg:Ably:HttpRequestTimeout"] = "00:00:07",
            ["AblyPg:Ably:HttpMaxRetryDuration"] = "00:00:20",
        });

        Assert.Equal(ConnectorHarness.ApiKey, options.Ably.ApiKey);
        Assert.Equal(("rest.example.com", 8443, true), (options.Ably.RestHost, options.Ably.Port, options.Ably.Tls));
        Assert.Equal(["a.example.com"], options.Ably.FallbackHosts!);
        Assert.Equal((TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(20)), (options.Ably.RequestTimeout, options.Ably.MaxRetryDuration));
    }

    [Fact]
    public void The_earlier_names_still_bind()
    {
        var options = Bind(new Dictionary<string, string?>
        {
            ["AblyPg:Ably:ApiKey"] = ConnectorHarness.ApiKey,
            ["AblyPg:Ably:RequestTimeout"] = "00:00:03",
            ["AblyPg:Ably:MaxRetryDuration"] = "00:00:04",
        });

        Assert.Equal(ConnectorHarness.ApiKey, options.Ably.Key);
        Assert.Equal((TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(4)), (options.Ably.HttpRequestTimeout, options.Ably.HttpMaxRetryDuration));
    }

    private static ConnectorOptions Bind(Dictionary<string, string?> values)
    {
        values["AblyPg:ConnectionString"] = "Host=localhost;Database=shop";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddAblyPgConnector(configuration.GetSection("AblyPg"), options => options.Tables.Add(AblyPgTables.User));
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<ConnectorOptions>();
    }
}
