using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;
using AblyPgTyped.Benchmarks.Infrastructure;

namespace AblyPgTyped.Benchmarks;

/// <summary>What every scenario shares: the database server, the endpoint, the options and the report.</summary>
internal sealed class BenchmarkRun(BenchmarkOptions options, PostgresTarget postgres, PlanEndpoints endpoints, Report report)
{
    public BenchmarkOptions Options { get; } = options;

    public PostgresTarget Postgres { get; } = postgres;

    /// <summary>An endpoint per plan.</summary>
    public PlanEndpoints Endpoints { get; } = endpoints;

    public Report Report { get; } = report;

    /// <summary>Figures of this run that later scenarios set beside their own, by name (e.g. "drain Pro bulk").</summary>
    public Dictionary<string, double> Figures { get; } = [];

    public TextWriter Progress { get; } = Console.Error;

    public void Log(string message) => Progress.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");

    /// <summary>Options for an in-process connector: defaults, every benchmark table, this endpoint and its plan, this capture mode.</summary>
    public ConnectorOptions ConnectorOptions(BenchDatabase database, BenchEndpoint endpoint, CaptureMode capture = CaptureMode.Triggers)
    {
        var options = new ConnectorOptions
        {
            ConnectionString = database.ConnectionString,
            Capture = capture,
            Ably = { RestHost = endpoint.Host, Port = endpoint.Port, Tls = false, ApiKey = endpoint.ApiKey, Plan = endpoint.Plan.ConnectorPlan },
        };
        foreach (var table in AblyPgTables.All)
        {
            options.Tables.Add(table);
        }

        return options;
    }

    /// <summary>
    /// Installs capture as a connector does, and stops it once it has gone idle: the state a stopped connector leaves
    /// behind. With triggers, the triggers are in place and the wake-up flag is armed; with logical replication, the
    /// tables are in the publications and the slot exists.
    /// </summary>
    public async Task InstallCaptureAsync(BenchDatabase database, CaptureMode capture = CaptureMode.Triggers)
    {
        await using var connector = new Connector(ConnectorOptions(database, await Endpoints.UnmeteredAsync(), capture));
        await connector.StartAsync();
        var installed = capture == CaptureMode.Triggers
            ? "SELECT armed FROM ablypg.wakeup"
            : "SELECT count(*) = 1 FROM pg_replication_slots WHERE database = current_database()";
        var waited = Stopwatch.StartNew();
        while (!await database.ScalarAsync<bool>(installed) && waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(10);
        }

        await connector.StopAsync();
    }

    /// <summary>
    /// Starts the connector in its own process, publishing to <paramref name="endpoint"/> under its plan and capturing
    /// in <paramref name="capture"/> mode, and waits until it is active.
    /// </summary>
    public async Task<ConnectorChild> StartConnectorProcessAsync(BenchDatabase database, BenchEndpoint endpoint, CaptureMode capture = CaptureMode.Triggers)
    {
        var child = ConnectorChild.Start(database.ConnectionString, endpoint, capture: capture);
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
