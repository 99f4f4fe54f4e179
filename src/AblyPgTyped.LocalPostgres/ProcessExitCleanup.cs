using System;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Threading;

namespace AblyPgTyped.LocalPostgres;

/// <summary>
/// Runs registered cleanups when the process exits, or is interrupted (Ctrl+C, SIGTERM), if they were
/// not disposed first.
/// </summary>
/// <remarks>
/// .NET does not raise ProcessExit when SIGINT/SIGTERM terminate the process, hence the signal hooks.
/// Cleanups whose directory has a watchdog skip the signal hooks: a host that cancels the signal to
/// shut down gracefully still needs its database, and if the process does die the watchdog cleans up.
/// </remarks>
internal static class ProcessExitCleanup
{
    private static readonly ConcurrentDictionary<long, Entry> Cleanups = new();
    private static readonly object HookGate = new();
    private static long nextId;
    private static bool hooked;
    private static PosixSignalRegistration? sigtermRegistration;

    /// <summary>Registers <paramref name="cleanup"/>; dispose the result to unregister it.</summary>
    /// <param name="cleanup">Synchronous, best-effort cleanup.</param>
    /// <param name="runOnInterrupt">Also run on Ctrl+C / SIGTERM (when no other Ctrl+C handler cancelled it).</param>
    public static IDisposable Register(Action cleanup, bool runOnInterrupt)
    {
        EnsureHooked();
        var id = Interlocked.Increment(ref nextId);
        Cleanups[id] = new Entry(cleanup, runOnInterrupt);
        return new Registration(id);
    }

    private static void EnsureHooked()
    {
        lock (HookGate)
        {
            if (hooked)
            {
                return;
            }

            hooked = true;
            AppDomain.CurrentDomain.ProcessExit += (_, _) => RunAll(interrupted: false);
            Console.CancelKeyPress += (_, e) =>
            {
                if (!e.Cancel)
                {
                    RunAll(interrupted: true);
                }
            };

            try
            {
                sigtermRegistration = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => RunAll(interrupted: true));
            }
            catch (PlatformNotSupportedException)
            {
                // ProcessExit and the watchdog remain.
            }
        }
    }

    private static void RunAll(bool interrupted)
    {
        foreach (var id in Cleanups.Keys)
        {
            if (interrupted && Cleanups.TryGetValue(id, out var entry) && !entry.RunOnInterrupt)
            {
                continue;
            }

            if (Cleanups.TryRemove(id, out var removed))
            {
                try
                {
                    removed.Cleanup();
                }
#pragma warning disable CA1031 // Best effort while the process is going down; one failure must not skip the rest.
                catch (Exception)
#pragma warning restore CA1031
                {
                }
            }
        }
    }

    private sealed record Entry(Action Cleanup, bool RunOnInterrupt);

    private sealed class Registration : IDisposable
    {
        private readonly long id;

        public Registration(long id)
        {
            this.id = id;
        }

        public void Dispose() => Cleanups.TryRemove(id, out _);
    }
}
