using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;

namespace AblyPgTyped.Benchmarks.Infrastructure;

/// <summary>
/// CPU time of the three parties over a measured span, from /proc: the connector process, this process (the load
/// generator and the in-process endpoint) and the PostgreSQL server (postmaster, its live children and the children it reaped).
/// It answers "where do the cycles go" at process level; on 2 cores, 2 s of CPU per second of wall time is the ceiling.
/// </summary>
internal sealed class CpuMeter
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux
    private readonly int _connector;
    private readonly int? _postmaster;
    private readonly (double Connector, double Self, double Postgres) _start;
    private readonly long _started = Stopwatch.GetTimestamp();

    private CpuMeter(int connector, int? postmaster)
    {
        _connector = connector;
        _postmaster = postmaster;
        _start = Sample();
    }

    public static CpuMeter Start(int connectorProcessId, int? postmasterProcessId) => new(connectorProcessId, postmasterProcessId);

    /// <summary>e.g. "CPU over 5.5 s: connector 4.1 s, benchmark + endpoint 3.2 s, PostgreSQL 1.0 s".</summary>
    public string Describe()
    {
        var now = Sample();
        var wall = BenchmarkRun.Seconds(_started, Stopwatch.GetTimestamp());
        var postgres = _postmaster is null ? "PostgreSQL not measured (not started here)" : $"PostgreSQL {now.Postgres - _start.Postgres:0.0} s";
        return $"CPU over {wall:0.0} s wall: connector {now.Connector - _start.Connector:0.0} s, benchmark + endpoint {now.Self - _start.Self:0.0} s, {postgres}";
    }

    /// <summary>CPU seconds the connector process has used since the start.</summary>
    public double ConnectorSeconds() => Ticks(_connector, withReapedChildren: false) - _start.Connector;

    /// <summary>CPU seconds the PostgreSQL server has used so far: the postmaster, the children it reaped, and its live children.</summary>
    public static double PostgresSeconds(int postmaster) => PostgresBreakdown(postmaster).Total;

    /// <summary>
    /// <see cref="PostgresSeconds"/> by kind of process: the postmaster with every child that has ended (client sessions
    /// that closed, such as pgbench's), live walsenders, live sessions (a connector's), and the server's own processes.
    /// </summary>
    public static PostgresCpu PostgresBreakdown(int postmaster)
    {
        double walsenders = 0, sessions = 0, server = 0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && ParentOf(pid) == postmaster)
            {
                var seconds = Ticks(pid, withReapedChildren: false);
                switch (Title(pid))
                {
                    case var title when title.StartsWith("postgres: walsender", StringComparison.Ordinal):
                        walsenders += seconds;
                        break;
                    case var title when ServerProcesses.Any(p => title.StartsWith("postgres: " + p, StringComparison.Ordinal)):
                        server += seconds;
                        break;
                    default:
                        sessions += seconds;
                        break;
                }
            }
        }

        return new PostgresCpu(Ticks(postmaster, withReapedChildren: true), walsenders, sessions, server);
    }

    /// <summary>
    /// <see cref="PostgresSeconds"/> once the server has settled: the CPU time of backends that just exited reaches
    /// the postmaster's account a little later, so this waits until two samples 250 ms apart (at most 3 s) agree.
    /// </summary>
    public static async Task<double> SettledPostgresSecondsAsync(int postmaster) => (await SettledPostgresBreakdownAsync(postmaster)).Total;

    /// <summary><see cref="PostgresBreakdown"/> once the server has settled, as <see cref="SettledPostgresSecondsAsync"/>.</summary>
    public static async Task<PostgresCpu> SettledPostgresBreakdownAsync(int postmaster)
    {
        var sample = PostgresBreakdown(postmaster);
        for (var i = 0; i < 12; i++)
        {
            await Task.Delay(250);
            var next = PostgresBreakdown(postmaster);
            if (next.Total - sample.Total <= 0.02)
            {
                return next;
            }

            sample = next;
        }

        return sample;
    }

    /// <summary>The process titles PostgreSQL gives its own processes (after "postgres: ").</summary>
    private static readonly string[] ServerProcesses =
        ["checkpointer", "background writer", "walwriter", "autovacuum", "logical replication", "stats collector", "archiver", "startup", "parallel worker"];

    /// <summary>The process title (PostgreSQL rewrites its argv: "postgres: walsender …"); empty when the process is gone.</summary>
    private static string Title(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }

    private (double Connector, double Self, double Postgres) Sample() =>
        (Ticks(_connector, withReapedChildren: false), Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds,
         _postmaster is { } postmaster ? PostgresSeconds(postmaster) : 0);

    /// <summary>utime + stime (fields 14, 15 of /proc/pid/stat), plus cutime + cstime (16, 17) when asked; 0 for a process that is gone.</summary>
    private static double Ticks(int pid, bool withReapedChildren)
    {
        var fields = Fields(pid);
        if (fields is null)
        {
            return 0;
        }

        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        if (withReapedChildren)
        {
            ticks += long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
        }

        return ticks / TicksPerSecond;
    }

    private static int? ParentOf(int pid) => Fields(pid) is { } fields ? int.Parse(fields[1], CultureInfo.InvariantCulture) : null;

    /// <summary>The fields after "pid (comm)", so that a command name with spaces cannot shift them: [0] is state, [1] ppid.</summary>
    private static string[]? Fields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ').ToArray();
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>The PostgreSQL server's CPU seconds by kind of process (see <see cref="CpuMeter.PostgresBreakdown"/>).</summary>
internal readonly record struct PostgresCpu(double Ended, double Walsenders, double Sessions, double Server)
{
    public double Total => Ended + Walsenders + Sessions + Server;

    public static PostgresCpu operator -(PostgresCpu after, PostgresCpu before) =>
        new(after.Ended - before.Ended, after.Walsenders - before.Walsenders, after.Sessions - before.Sessions, after.Server - before.Server);

    /// <summary>e.g. "closed sessions 80 µs, walsender 60 µs, live sessions 5 µs, server processes 10 µs", each divided by <paramref name="transactions"/>.</summary>
    public string PerTransaction(double transactions) => string.Create(CultureInfo.InvariantCulture,
        $"closed sessions and postmaster {Ended / transactions * 1e6:0} µs, walsender {Walsenders / transactions * 1e6:0} µs, " +
        $"live sessions (the connector's) {Sessions / transactions * 1e6:0} µs, server processes {Server / transactions * 1e6:0} µs");
}
