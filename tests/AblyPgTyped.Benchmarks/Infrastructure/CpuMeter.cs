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
    public static double PostgresSeconds(int postmaster)
    {
        var seconds = Ticks(postmaster, withReapedChildren: true);
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && ParentOf(pid) == postmaster)
            {
                seconds += Ticks(pid, withReapedChildren: false);
            }
        }

        return seconds;
    }

    /// <summary>
    /// <see cref="PostgresSeconds"/> once the server has settled: the CPU time of backends that just exited reaches
    /// the postmaster's account a little later, so this waits until two samples 250 ms apart (at most 3 s) agree.
    /// </summary>
    public static async Task<double> SettledPostgresSecondsAsync(int postmaster)
    {
        var sample = PostgresSeconds(postmaster);
        for (var i = 0; i < 12; i++)
        {
            await Task.Delay(250);
            var next = PostgresSeconds(postmaster);
            if (next - sample <= 0.02)
            {
                return next;
            }

            sample = next;
        }

        return sample;
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
