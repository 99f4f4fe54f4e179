using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;
using AblyPgTyped.Benchmarks.Infrastructure;

namespace AblyPgTyped.Benchmarks;

/// <summary>What every scenario shares: the database server, the endpoint, the options and the report.</summary>
internal sealed class BenchmarkRun(BenchmarkOptions options, PostgresTarget postgres, BenchEndpoint endpoint, Report report)
{
    public BenchmarkOptions Options { get; } = options;

    public PostgresTarget Postgres { get; } = postgres;

    public BenchEndpoint Endpoint { get; } = endpoint;

    public Report Report { get; } = report;

    public TextWriter Progress { get; } = Console.Error;

    public void Log(string message) => Progress.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");

    /// <summary>Options as the connector process uses them: defaults, every benchmark table, this endpoint.</summary>
    public ConnectorOptions ConnectorOptions(BenchDatabase database)
    {
        var options = new ConnectorOptions
        {
            ConnectionString = database.ConnectionString,
            Ably = { RestHost = Endpoint.Host, Port = Endpoint.Port, Tls = false, ApiKey = Endpoint.ApiKey, Plan = AblyPgTyped.Publishing.AblyPlan.Unlimited }, // the endpoint is unlimited too (InProcessEndpoint)
            MaxChangesPerMessage = 1, // the scenarios count one message per change, as when their figures were taken
        };
        foreach (var table in AblyPgTables.All)
        {
            options.Tables.Add(table);
        }

        return options;
    }

    /// <summary>
    /// Installs capture as a connector does, and stops it once it has gone idle: the triggers are in place and the
    /// wake-up flag is armed, the state a stopped connector leaves behind.
    /// </summary>
    public async Task InstallCaptureAsync(BenchDatabase database)
    {
        await using var connector = new Connector(ConnectorOptions(database));
        await connector.StartAsync();
        var waited = Stopwatch.StartNew();
        while (!await database.ScalarAsync<bool>("SELECT armed FROM ablypg.wakeup") && waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(10);
        }

        await connector.StopAsync();
    }

    /// <summary>Starts the connector in its own process and waits until it is active.</summary>
    public async Task<ConnectorChild> StartConnectorProcessAsync(BenchDatabase database)
    {
        var child = ConnectorChild.Start(database.ConnectionString, Endpoint);
        try
        {
            await child.WaitActiveAsync(TimeSpan.FromSeconds(60));
            return child;
        }
        catch
        {
            await child.DisposeAsync();
            throw;
        }
    }

    public static double Seconds(long fromTimestamp, long toTimestamp) => (toTimestamp - fromTimestamp) / (double)Stopwatch.Frequency;
}
