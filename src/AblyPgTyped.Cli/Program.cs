using System;
using System.Net.Sockets;
using System.Reflection;
using System.Threading.Tasks;
using AblyPgTyped;
using AblyPgTyped.Cli;
using AblyPgTyped.Publishing;
using Npgsql;

// Expected failures print one line to stderr: exit 2 for bad configuration or usage, 1 for database or network failures.
var commandLine = CommandLine.Parse(args, out var usageProblem);
if (commandLine is null)
{
    Console.Error.WriteLine("ablypg: error: " + usageProblem + " (run 'ablypg --help' for usage)");
    return ExitCodes.BadConfiguration;
}

try
{
    switch (commandLine.Command)
    {
        case "help":
            Console.Out.WriteLine(CommandLine.Usage);
            return ExitCodes.Success;
        case "version":
            Console.Out.WriteLine("ablypg " + (typeof(Connector).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?"));
            return ExitCodes.Success;
        case "sql":
            await using (var connector = OriginalConnector.Create(commandLine.ConfigPath))
            {
                Console.Out.WriteLine((commandLine.Uninstall ? connector.GetUninstallSql() : connector.GetInstallSql()).TrimEnd('\n'));
            }

            return ExitCodes.Success;
        case "grants":
            await using (var connector = OriginalConnector.Create(commandLine.ConfigPath))
            {
                Console.Out.WriteLine(connector.GetGrantSql(commandLine.Role!).TrimEnd('\n'));
            }

            return ExitCodes.Success;
        case "uninstall":
            using (var loggerFactory = ConsoleLogging.Create())
            await using (var connector = OriginalConnector.Create(commandLine.ConfigPath, loggerFactory))
            {
                await connector.UninstallAsync();
            }

            Console.Out.WriteLine("ablypg: uninstalled: the capture triggers, their functions and the capture store are gone.");
            return ExitCodes.Success;
        case "backfill":
            return await BackfillCommand.RunAsync(commandLine);
        default:
            return await RunCommand.RunAsync(commandLine.ConfigPath);
    }
}
catch (AblyConfigurationException e)
{
    return Fail(ExitCodes.BadConfiguration, e.Message);
}
catch (ConnectorStartException e)
{
    return Fail(ExitCodes.Failure, e.Message);
}
catch (NpgsqlException e)
{
    return Fail(ExitCodes.Failure, "PostgreSQL: " + Describe(e));
}
catch (Exception e) when (e is SocketException or TimeoutException or System.IO.IOException)
{
    return Fail(ExitCodes.Failure, e.Message);
}
catch (Exception e)
{
    return Fail(ExitCodes.Failure, "unexpected " + e.GetType().Name + ": " + e.Message);
}

static int Fail(int code, string message)
{
    Console.Error.WriteLine("ablypg: error: " + OneLine(message));
    return code;
}

static string OneLine(string text) => text.ReplaceLineEndings(" ");

static string Describe(NpgsqlException e) =>
    e is PostgresException || e.InnerException is null ? e.Message : e.Message + " (" + e.InnerException.Message + ")";
