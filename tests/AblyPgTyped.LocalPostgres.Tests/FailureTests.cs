using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace AblyPgTyped.LocalPostgres.Tests;

public sealed class FailureTests
{
    [Fact]
    public async Task Missing_binaries_fail_with_install_instructions()
    {
        LocalPostgresOptions options = new() { BinDirectory = "/nonexistent/postgresql/bin" };

        var ex = await Assert.ThrowsAsync<LocalPostgresException>(() => LocalPostgresCluster.StartAsync(options, Sql.Timeout()));

        Assert.Contains("apt-get install -y postgresql", ex.Message, StringComparison.Ordinal);
        Assert.Contains(LocalPostgresCluster.BinDirectoryEnvironmentVariable, ex.Message, StringComparison.Ordinal);
        Assert.Contains("initdb", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_setting_fails_with_command_and_log_tail_but_no_password()
    {
        const string password = "TopSecretPassw0rd";
        LocalPostgresOptions options = new() { Password = password, ServerSettings = { ["shared_buffers"] = "lots" } };

        var ex = await Assert.ThrowsAsync<LocalPostgresException>(() => LocalPostgresCluster.StartAsync(options, Sql.Timeout()));

        Assert.Contains("pg_ctl start", ex.Message, StringComparison.Ordinal);
        Assert.Contains("shared_buffers", ex.Message, StringComparison.Ordinal);
        Assert.Contains("server log", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(password, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Occupied_fixed_port_fails_with_bind_error_in_message()
    {
        TcpListener blocker = new(IPAddress.Loopback, 0);
        blocker.Start();
        try
        {
            var port = ((IPEndPoint)blocker.LocalEndpoint).Port;
            LocalPostgresOptions options = new() { Port = port };

            var ex = await Assert.ThrowsAsync<LocalPostgresException>(() => LocalPostgresCluster.StartAsync(options, Sql.Timeout()));

            Assert.Contains("could not bind", ex.Message, StringComparison.Ordinal);
            Assert.Empty(ProcessScan.ProcessesMentioning($"-p {port}"));
        }
        finally
        {
            blocker.Stop();
        }
    }

    [Fact]
    public async Task Cancelled_start_throws_operation_cancelled()
    {
        using CancellationTokenSource cancelled = new();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => LocalPostgresCluster.StartAsync(new LocalPostgresOptions(), cancelled.Token));
    }

    [Theory]
    [InlineData("port")]
    [InlineData("listen_addresses")]
    [InlineData("bad name;")]
    public async Task Managed_or_invalid_settings_are_rejected(string name)
    {
        LocalPostgresOptions options = new() { ServerSettings = { [name] = "1" } };
        await Assert.ThrowsAsync<ArgumentException>(() => LocalPostgresCluster.StartAsync(options, Sql.Timeout()));
    }

    [Fact]
    public async Task Watchdog_stops_server_and_deletes_directory_when_owner_dies()
    {
        LocalPostgresOptions options = new() { UseWatchdog = false };
        await using var pg = await LocalPostgresCluster.StartAsync(options, Sql.Timeout());
        var pid = pg.PostmasterProcessId!.Value;

        // Stand-in for a test process that gets killed without running any cleanup.
        using var owner = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        Watchdog.Start(pg.RootDirectory, NullLogger.Instance, owner.Id);
        await Task.Delay(300);
        Assert.True(PostmasterProcess.IsAlive(pid));

        owner.Kill();
        await owner.WaitForExitAsync();

        var waited = Stopwatch.StartNew();
        while ((Directory.Exists(pg.RootDirectory) || PostmasterProcess.IsAlive(pid)) && waited.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(100);
        }

        Assert.False(PostmasterProcess.IsAlive(pid));
        Assert.False(Directory.Exists(pg.RootDirectory));
        Assert.Empty(ProcessScan.ProcessesMentioning(pg.RootDirectory));
    }
}
