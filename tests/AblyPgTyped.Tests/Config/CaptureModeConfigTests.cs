using AblyPgTyped.Config;
using AblyPgTyped.Publishing;
using Xunit;

namespace AblyPgTyped.Tests.Config;

/// <summary>The capture mode in the original's files: <c>capture</c> in JSON, <c>ABLYPG_CAPTURE</c> in .env.</summary>
public sealed class CaptureModeConfigTests
{
    [Theory]
    [InlineData("\"logical-replication\"", CaptureMode.LogicalReplication)]
    [InlineData("\" LogicalReplication \"", CaptureMode.LogicalReplication)]
    [InlineData("\"logical\"", CaptureMode.LogicalReplication)]
    [InlineData("\"triggers\"", CaptureMode.Triggers)]
    public void Json_capture_sets_the_mode(string value, CaptureMode expected)
    {
        using var folder = new ConfigFolder();
        var options = OriginalConfiguration.Load(folder.Write("default.json", BadInputTests.Json(extra: ", \"capture\": " + value)));

        Assert.Equal(expected, options.Capture);
    }

    [Fact]
    public void Env_capture_sets_the_mode_and_the_default_is_triggers()
    {
        using var folder = new ConfigFolder();

        Assert.Equal(CaptureMode.LogicalReplication, OriginalConfiguration.Load(folder.Write(".env", BadInputTests.Env() + "ABLYPG_CAPTURE=logical_replication\n")).Capture);
        Assert.Equal(CaptureMode.Triggers, OriginalConfiguration.Load(folder.Write("other/.env", BadInputTests.Env())).Capture);
    }

    [Fact]
    public void An_unknown_mode_is_named_with_the_choices()
    {
        using var folder = new ConfigFolder();
        var path = folder.Write(".env", BadInputTests.Env() + "ABLYPG_CAPTURE=wal2json\n");

        var error = Assert.Throws<AblyConfigurationException>(() => OriginalConfiguration.Load(path));

        Assert.Equal($"Config file '{path}': ABLYPG_CAPTURE \"wal2json\" is not a capture mode: use triggers (the default) or logical-replication", error.Message);
    }
}
