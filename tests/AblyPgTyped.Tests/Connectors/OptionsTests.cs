using System;
using System.IO;
using System.Text;
using AblyPgTyped.Publishing;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace AblyPgTyped.Tests.Connectors;

public sealed class OptionsTests
{
    [Fact]
    public void Options_bind_from_configuration()
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes("""
                {
                  "AblyPg": {
                    "ConnectionString": "Host=db;Username=app;Password=pw;Database=shop",
                    "CaptureSchema": "cdc",
                    "MaxChangesPerMessage": 20,
                    "IdleWakeupTimeout": "00:00:02",
                    "Ably": { "ApiKey": "app.key:secret", "RestHost": "127.0.0.1", "Port": 8089, "Tls": false, "MaxMessageSize": 262144 }
                  }
                }
                """)))
            .Build();

        var options = new ConnectorOptions();
        configuration.GetSection("AblyPg").Bind(options);
        options.Tables.Add(AblyPgTables.User);
        options.Validate();

        Assert.Equal("cdc", options.CaptureSchema);
        Assert.Equal(20, options.MaxChangesPerMessage);
        Assert.Equal(TimeSpan.FromSeconds(2), options.IdleWakeupTimeout);
        Assert.Equal(("127.0.0.1", 8089, false, 262144), (options.Ably.RestHost, options.Ably.Port, options.Ably.Tls, options.Ably.MaxMessageSize));
    }

    [Theory]
    [InlineData(null, "ConnectionString is required")]
    [InlineData("Host=x", "MaxChangesInFlight must be positive; it is 0.")]
    public void Invalid_options_name_the_setting(string? connectionString, string message)
    {
        var options = new ConnectorOptions { ConnectionString = connectionString, MaxChangesInFlight = 0, Ably = { ApiKey = "a.b:c" } };
        options.Tables.Add(AblyPgTables.User);

        var error = Assert.Throws<AblyConfigurationException>(options.Validate);

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_mapped_table_is_a_clear_error()
    {
        var options = new ConnectorOptions { ConnectionString = "Host=x", Ably = { ApiKey = "a.b:c" } };

        var error = Assert.Throws<AblyConfigurationException>(options.Validate);

        Assert.Equal("No table is mapped: add AblyPgTables.All (or single mappings) to ConnectorOptions.Tables.", error.Message);
    }
}
