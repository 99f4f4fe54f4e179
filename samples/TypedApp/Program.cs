// A typed application: annotated entities, a scoped typed handler, and the connector as a hosted service over the
// application's own NpgsqlDataSource.
//
//   dotnet run --project samples/TypedApp                     runs the connector (Ctrl+C stops it cleanly)
//   dotnet run --project samples/TypedApp -- --print-sql      prints the DDL it would install, for a DBA
//   dotnet run --project samples/TypedApp -- --uninstall      removes everything it installed
//
// Settings come from appsettings.json and the environment, e.g. ConnectionStrings__Shop, AblyPg__Ably__ApiKey. A key
// under AblyPg that is no setting (a misspelling) stops the start and names the key.
using System;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using TypedApp;

// appsettings.json sits beside the program, wherever it is started from.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
var section = builder.Configuration.GetSection("AblyPg");

// The application's data source, keyed by the connector's name. Its password comes from a provider, as a token would
// (Entra ID, IAM): here it is read from the configuration each time it is refreshed.
builder.Services.AddKeyedSingleton("shop", (_, _) =>
{
    var connectionString = new NpgsqlConnectionStringBuilder(builder.Configuration.GetConnectionString("Shop"));
    var password = connectionString.Password;
    connectionString.Password = null;
    return new NpgsqlDataSourceBuilder(connectionString.ConnectionString)
        .UsePeriodicPasswordProvider((_, _) => ValueTask.FromResult(password ?? ""), TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(5))
        .Build();
});

builder.Services.AddScoped<OrderAudit>();
builder.Services.AddAblyPgConnector("shop", section, AddTables)
    .AddChangeHandler<Order, OrderHandler>()
    .On<Stock>(ChangeKind.Update, (services, change, _) =>
    {
        if (change.New!.Quantity == 0)
        {
            services.GetRequiredService<ILoggerFactory>().CreateLogger("Stock").LogWarning("{Sku} is out of stock", change.New.Sku);
        }

        return Task.CompletedTask;
    });

if (args.Contains("--print-sql"))
{
    // Reviewing the DDL needs neither a database nor an API key, so the options are read without the start-up checks.
    var options = new ConnectorOptions();
    section.Bind(options);
    AddTables(options);
    Console.WriteLine(options.GetInstallSql());
    return 0;
}

using var host = builder.Build();
try
{
    // Creating the connector binds and checks its options, so a configuration error is reported in one line.
    var connector = host.Services.GetRequiredKeyedService<Connector>("shop");
    if (args.Contains("--uninstall"))
    {
        await connector.UninstallAsync();
        Console.WriteLine("Removed every capture trigger, function and table of this connector.");
        return 0;
    }

    await host.RunAsync();
    return 0;
}
catch (Exception e) when (e is OptionsValidationException or AblyPgTyped.Publishing.AblyConfigurationException)
{
    Console.Error.WriteLine("Configuration error: " + e.Message);
    return 2;
}
catch (ConnectorStartException e)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}

static void AddTables(ConnectorOptions options)
{
    foreach (var table in AblyPgTables.All)
    {
        options.Tables.Add(table);
    }
}
