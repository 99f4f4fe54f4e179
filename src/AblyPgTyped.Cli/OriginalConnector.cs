using Microsoft.Extensions.Logging;

namespace AblyPgTyped.Cli;

/// <summary>The CLI's CONFIG argument, as the original documents it: a config file, or with none the process environment.</summary>
internal static class OriginalConnector
{
    public static Connector Create(string? configPath, ILoggerFactory? loggerFactory = null) =>
        string.IsNullOrEmpty(configPath) ? Connector.FromEnvironment(loggerFactory) : new Connector(configPath, loggerFactory);
}
