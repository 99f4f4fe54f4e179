using System;
using System.Net.Sockets;
using System.Reflection;
using AblyPgTyped;
using AblyPgTyped.Capture;
using AblyPgTyped.Cli;
using AblyPgTyped.Cli.DeadLetters;
using AblyPgTyped.Cli.Status;
using AblyPgTyped.Config;
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
            // The install script needs the tables; the uninstall script only the capture schema. Neither needs a database.
            var sqlSettings = OriginalConfiguration.Load(commandLine.ConfigPath, commandLine.Uninstall ? ConfigParts.None : ConfigParts.Tables);
            Console.Out.WriteLine((commandLine.Uninstall ? sqlSettings.GetUninstallSql() : sqlSettings.GetInstallSql()).TrimEnd('\n'));
            return ExitCodes.Success;
        case "grants":
            Console.Out.WriteLine(OriginalConfiguration.Load(commandLine.ConfigPath, ConfigParts.None).GetGrantSql(commandLine.Role!).TrimEnd('\n'));
            return ExitCodes.Success;
        case "uninstall":
            return await UninstallCommand.RunAsync(commandLine.ConfigPath);
        case "status":
            return await StatusCommand.RunAsync(commandLine);
        case "dead-letters":
            return await DeadLettersCommand.RunAsync(commandLine);
        case "backfill":
            return await BackfillCommand.RunAsync(commandLine);
        default:
            return await RunCommand.RunAsync(commandLine.ConfigPath);
    }
}
catch (Exception e) when (e is AblyConfigurationException or UsageException)
{
    return Fail(ExitCodes.BadConfiguration, e.Message);
}
catch (Exception e) when (e is ConnectorStartException or CaptureInstallException)
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
