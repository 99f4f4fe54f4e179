using System;
using System.IO;
using System.Threading.Tasks;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace AblyPgTyped.LocalPostgres.Tests;

public sealed class ClusterLifecycleTests
{
    private readonly ITestOutputHelper output;

    public ClusterLifecycleTests(ITestOutputHelper output)
    {
        this.output = output;
    }

    [Fact]
    public async Task Starts_with_durable_loopback_defaults_and_runs_sql()
    {
        await using var pg = await LocalPostgresCluster.StartAsync(new LocalPostgresOptions(), Sql.Timeout());
        output.WriteLine($"Started in {pg.StartupDuration.TotalMilliseconds:0} ms, version {pg.ServerVersion}, bin {pg.BinDirectory}");

        Assert.True(pg.Port > 0);
        Assert.True(File.Exists(Path.Combine(pg.DataDirectory, "PG_VERSION")));
        Assert.StartsWith(pg.RootDirectory, pg.DataDirectory, StringComparison.Ordinal);
        Assert.Contains("ablypg-pg-", pg.RootDirectory, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(pg.BinDirectory, "initdb")));
        Assert.True(pg.ServerVersion.Major >= 10);
        Assert.True(pg.IsRunning);
        Assert.True(pg.OwnsServer);

        NpgsqlConnectionStringBuilder builder = new(pg.ConnectionString);
        Assert.Equal("127.0.0.1", builder.Host);
        Assert.Equal(pg.Port, builder.Port);
        Assert.Equal("postgres", builder.Database);
        Assert.Equal(pg.Password, builder.Password);
        Assert.False(string.IsNullOrEmpty(pg.Password));

        await Sql.ExecuteAsync(pg.ConnectionString, "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a'), (2, 'b');");
        Assert.Equal(2L, await Sql.ScalarAsync(pg.ConnectionString, "SELECT count(*) FROM t"));

        Assert.Equal("on", await Sql.ScalarAsync(pg.ConnectionString, "SHOW fsync"));
        Assert.Equal("on", await Sql.ScalarAsync(pg.ConnectionString, "SHOW synchronous_commit"));
        Assert.Equal("100", await Sql.ScalarAsync(pg.ConnectionString, "SHOW max_connections"));
        Assert.Equal("127.0.0.1", await Sql.ScalarAsync(pg.ConnectionString, "SHOW listen_addresses"));
        Assert.Equal("logical", await Sql.ScalarAsync(pg.ConnectionString, "SHOW wal_level"));
        Assert.Equal("UTF8", await Sql.ScalarAsync(pg.ConnectionString, "SHOW server_encoding"));
        Assert.Equal(pg.SocketDirectory, await Sql.ScalarAsync(pg.ConnectionString, "SHOW unix_socket_directories"));
        Assert.StartsWith("SCRAM-SHA-256$", (string?)await Sql.ScalarAsync(pg.ConnectionString, "SELECT rolpassword FROM pg_authid WHERE rolname = current_user"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Creates_separate_databases()
    {
        await using var pg = await LocalPostgresCluster.StartAsync(cancellationToken: Sql.Timeout());

        var named = await pg.CreateDatabaseAsync("test_db_x");
        Assert.Equal("test_db_x", new NpgsqlConnectionStringBuilder(named).Database);
        Assert.Equal("test_db_x", await Sql.ScalarAsync(named, "SELECT current_database()"));

        var generated = await pg.CreateDatabaseAsync();
        var generatedName = new NpgsqlConnectionStringBuilder(generated).Database!;
        Assert.StartsWith("ablypg_", generatedName, StringComparison.Ordinal);
        Assert.Equal(generatedName, await Sql.ScalarAsync(generated, "SELECT current_database()"));

        await Sql.ExecuteAsync(named, "CREATE TABLE only_here (id int)");
        await Assert.ThrowsAsync<PostgresException>(() => Sql.ScalarAsync(generated, "SELECT count(*) FROM only_here"));

        var quoted = await pg.CreateDatabaseAsync("Mixed \"Case\" db");
        Assert.Equal("Mixed \"Case\" db", await Sql.ScalarAsync(quoted, "SELECT current_database()"));
    }

    [Fact]
    public async Task Immediate_stop_then_start_again_keeps_committed_data()
    {
        await using var pg = await LocalPostgresCluster.StartAsync(cancellationToken: Sql.Timeout());
        var port = pg.Port;
        var firstPid = pg.PostmasterProcessId!.Value;
        await Sql.ExecuteAsync(pg.ConnectionString, "CREATE TABLE durable (id int); INSERT INTO durable SELECT generate_series(1, 1000);");

        await pg.StopAsync(immediate: true);
        Assert.False(pg.IsRunning);
        Assert.Null(pg.PostmasterProcessId);
        Assert.False(PostmasterProcess.IsAlive(firstPid));
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => Sql.ScalarAsync(pg.ConnectionString, "SELECT 1"));

        await pg.StartAgainAsync();
        Assert.Equal(port, pg.Port);
        Assert.True(pg.IsRunning);
        Assert.NotEqual(firstPid, pg.PostmasterProcessId);
        Assert.Equal(1000L, await Sql.ScalarAsync(pg.ConnectionString, "SELECT count(*) FROM durable"));

        // Proof that it was a crash, not a clean shutdown.
        var log = await File.ReadAllTextAsync(pg.LogFile);
        Assert.Contains("not properly shut down", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fast_stop_then_start_again()
    {
        await using var pg = await LocalPostgresCluster.StartAsync(cancellationToken: Sql.Timeout());
        await Sql.ExecuteAsync(pg.ConnectionString, "CREATE TABLE kept (id int); INSERT INTO kept VALUES (7);");

        await pg.StopAsync();
        Assert.False(pg.IsRunning);
        await pg.StopAsync(); // Idempotent.

        await pg.StartAgainAsync();
        Assert.Equal(7, await Sql.ScalarAsync(pg.ConnectionString, "SELECT id FROM kept"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => pg.StartAgainAsync());
    }

    [Fact]
    public async Task Wrong_password_is_rejected_by_scram()
    {
        await using var pg = await LocalPostgresCluster.StartAsync(cancellationToken: Sql.Timeout());
        var wrong = new NpgsqlConnectionStringBuilder(pg.ConnectionString) { Password = pg.Password + "x", Pooling = false }.ConnectionString;

        var ex = await Assert.ThrowsAsync<PostgresException>(() => Sql.ScalarAsync(wrong, "SELECT 1"));
        Assert.Equal(PostgresErrorCodes.InvalidPassword, ex.SqlState);
        Assert.Contains("password authentication failed", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("s3cret'\"\\ pw", true)]
    [InlineData("pässwörd-ü", true)]
    [InlineData("no template", false)]
    public async Task Explicit_password_and_user_work_with_and_without_template(string password, bool useTemplate)
    {
        LocalPostgresOptions options = new() { Password = password, Username = "ably_admin", UseTemplateCache = useTemplate };
        await using var pg = await LocalPostgresCluster.StartAsync(options, Sql.Timeout());
        output.WriteLine($"Started (template={useTemplate}) in {pg.StartupDuration.TotalMilliseconds:0} ms");

        Assert.Equal(password, pg.Password);
        Assert.Equal("ably_admin", await Sql.ScalarAsync(pg.ConnectionString, "SELECT current_user"));
        Assert.Equal(true, await Sql.ScalarAsync(pg.ConnectionString, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"));
    }

    [Fact]
    public async Task Dispose_stops_postmaster_and_deletes_directory()
    {
        var pg = await LocalPostgresCluster.StartAsync(cancellationToken: Sql.Timeout());
        var pid = pg.PostmasterProcessId!.Value;
        var root = pg.RootDirectory;
        Assert.True(PostmasterProcess.IsAlive(pid));
        await Sql.ExecuteAsync(pg.ConnectionString, "SELECT 1"); // Leaves a pooled connection open.

        await pg.DisposeAsync();

        Assert.False(Directory.Exists(root));
        Assert.False(PostmasterProcess.IsAlive(pid));
        Assert.Empty(ProcessScan.ProcessesMentioning(root));
        await pg.DisposeAsync(); // Idempotent.
        await Assert.ThrowsAsync<ObjectDisposedException>(() => pg.CreateDatabaseAsync());
    }

    [Fact]
    public async Task Two_clusters_run_side_by_side()
    {
        var first = LocalPostgresCluster.StartAsync(cancellationToken: Sql.Timeout());
        var second = LocalPostgresCluster.StartAsync(cancellationToken: Sql.Timeout());
        await using var a = await first;
        await using var b = await second;

        Assert.NotEqual(a.Port, b.Port);
        Assert.NotEqual(a.DataDirectory, b.DataDirectory);
        Assert.NotEqual(a.PostmasterProcessId, b.PostmasterProcessId);

        await Sql.ExecuteAsync(a.ConnectionString, "CREATE TABLE in_a (id int)");
        Assert.Equal(1L, await Sql.ScalarAsync(a.ConnectionString, "SELECT count(*) FROM pg_tables WHERE tablename = 'in_a'"));
        Assert.Equal(0L, await Sql.ScalarAsync(b.ConnectionString, "SELECT count(*) FROM pg_tables WHERE tablename = 'in_a'"));

        // Each cluster has its own password.
        var crossed = new NpgsqlConnectionStringBuilder(b.ConnectionString) { Password = a.Password, Pooling = false }.ConnectionString;
        await Assert.ThrowsAsync<PostgresException>(() => Sql.ScalarAsync(crossed, "SELECT 1"));
    }

    [Fact]
    public async Task Fixed_port_and_server_settings_are_applied()
    {
        var port = FreePort.Pick();
        LocalPostgresOptions options = new()
        {
            Port = port,
            ServerSettings =
            {
                ["max_connections"] = "200",
                ["cluster_name"] = "it's a \\test",
            },
        };
        await using var pg = await LocalPostgresCluster.StartAsync(options, Sql.Timeout());

        Assert.Equal(port, pg.Port);
        Assert.Equal("200", await Sql.ScalarAsync(pg.ConnectionString, "SHOW max_connections"));
        Assert.Equal("it's a \\test", await Sql.ScalarAsync(pg.ConnectionString, "SHOW cluster_name"));
    }
}
