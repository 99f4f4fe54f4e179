// A typed application: annotated entities, typed handlers, and the connector as a hosted service.
//
//   dotnet run --project samples/TypedApp                     runs the connector (Ctrl+C stops it cleanly)
//   dotnet run --project samples/TypedApp -- --print-sql      prints the DDL it would install, for a DBA
//   dotnet run --project samples/TypedApp -- --uninstall      removes everything it installed
//
// Settings come from appsettings.json and the environment, e.g. AblyPg__ConnectionString, AblyPg__Ably__ApiKey.
using System;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TypedApp;

// appsettings.json sits beside the program, wherever it is started from.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Services.AddAblyPgConnector(
    builder.Configuration.GetSection("AblyPg"),
    options =>
    {
        foreach (var table in AblyPgTables.All)
        {
            options.Tables.Add(table);
        }
    },
    (services, connector) =>
    {
        var log = services.GetRequiredService<ILoggerFactory>().CreateLogger("Orders");
        connector
            .On<Order>(ChangeKind.Insert, (change, _) =>
            {
                log.LogInformation("New order {Id} from {Customer}: {Total:C}", change.New!.Id, change.New.Customer, change.New.Total);
                return Task.CompletedTask;
            })
            .On<Order>(ChangeKind.Update, (change, _) =>
            {
                if (change.Old!.Status != change.New!.Status)
                {
                    log.LogInformation("Order {Id}: {From} -> {To}", change.New.Id, change.Old.Status, change.New.Status);
                }

                return Task.CompletedTask;
            })
            .On<Stock>(ChangeKind.Update, (change, _) =>
            {
                if (change.New!.Quantity == 0)
                {
                    log.LogWarning("{Sku} is out of stock", change.New.Sku);
                }

                return Task.CompletedTask;
            });
    });

using var host = builder.Build();
if (args.Contains("--print-sql"))
{
    Console.WriteLine(host.Services.GetRequiredService<ConnectorOptions>().GetInstallSql());
    return 0;
}

Connector connector;
try
{
    connector = host.Services.GetRequiredService<Connector>();
}
catch (AblyPgTyped.Publishing.AblyConfigurationException e)
{
    Console.Error.WriteLine("Configuration error: " + e.Message);
    return 2;
}

if (args.Contains("--uninstall"))
{
    await connector.UninstallAsync();
    Console.WriteLine("Removed every capture trigger, function and table of this connector.");
    return 0;
}

try
{
    await host.RunAsync();
    return 0;
}
catch (ConnectorStartException e)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}
