using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using System.Xml.Linq;
using AblyPgTyped.LocalAbly;
using AblyPgTyped.Tests.Shared;
using Xunit;
using Xunit.Abstractions;

namespace AblyPgTyped.Generators.Tests.Packaging;

/// <summary>
/// The package as a user meets it: <c>dotnet pack</c> of the runtime (with the generator inside), then fresh console
/// projects outside the repository that reference the packed version from a local feed, build and run.
/// </summary>
/// <remarks>
/// The consumers' sources are the <c>Consumer/*.txt</c> templates in the source tree (nothing compiles them there).
/// Each run packs a version of its own and restores into a private package folder, so neither a NuGet cache nor the
/// user's global package folder ever holds or supplies a test build.
/// </remarks>
[Collection(PostgresCollection.Name)]
public sealed class PackagingTests : IClassFixture<PackagingFixture>
{
    private readonly PackagingFixture _fixture;
    private readonly PostgresFixture _postgres;
    private readonly ITestOutputHelper _output;

    public PackagingTests(PackagingFixture fixture, PostgresFixture postgres, ITestOutputHelper output)
    {
        _fixture = fixture;
        _postgres = postgres;
        _output = output;
    }

    [Fact]
    public async Task Package_ships_the_runtime_in_lib_and_the_generator_only_as_an_analyzer()
    {
        var feed = await _fixture.GetFeedAsync();
        _output.WriteLine(feed.Pack.ToString());

        using var archive = ZipFile.OpenRead(feed.PackagePath);
        var entries = archive.Entries.Select(e => e.FullName.Replace('\\', '/')).ToList();
        var listing = "Package entries:\n  " + string.Join("\n  ", entries);

        Assert.True(entries.Contains("lib/net10.0/AblyPgTyped.dll"), "The runtime is missing from lib/net10.0.\n" + listing);
        Assert.True(entries.Contains("lib/net8.0/AblyPgTyped.dll"), "The runtime is missing from lib/net8.0.\n" + listing);
        Assert.True(
            entries.Count(e => string.Equals(e, "analyzers/dotnet/cs/AblyPgTyped.Generators.dll", StringComparison.OrdinalIgnoreCase)) == 1,
            "The generator must be in analyzers/dotnet/cs exactly once.\n" + listing);
        Assert.True(
            entries.Count(e => e.EndsWith("/AblyPgTyped.Generators.dll", StringComparison.OrdinalIgnoreCase)) == 1,
            "The generator must not be packed anywhere but analyzers/dotnet/cs.\n" + listing);
        Assert.False(
            entries.Any(e => e.StartsWith("lib/", StringComparison.OrdinalIgnoreCase) && e.Contains("Generators", StringComparison.OrdinalIgnoreCase)),
            "No generator assembly may be under lib/ (it would become a runtime reference).\n" + listing);
        Assert.False(
            entries.Any(e => e.Contains("Microsoft.CodeAnalysis", StringComparison.OrdinalIgnoreCase)),
            "Roslyn assemblies must not be packed.\n" + listing);

        var nuspecEntry = Assert.Single(archive.Entries, e => e.FullName.EndsWith(".nuspec", StringComparison.OrdinalIgnoreCase) && !e.FullName.Contains('/'));
        XDocument nuspec;
        using (var stream = nuspecEntry.Open())
        {
            nuspec = XDocument.Load(stream);
        }

        var text = nuspec.ToString();
        var metadata = nuspec.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        Assert.Equal("AblyPgTyped", metadata.Elements().Single(e => e.Name.LocalName == "id").Value);
        Assert.Equal(feed.Version, metadata.Elements().Single(e => e.Name.LocalName == "version").Value);

        var dependencies = nuspec.Descendants()
            .Where(e => e.Name.LocalName == "dependency")
            .Select(e => (string?)e.Attribute("id") ?? "")
            .ToList();
        Assert.False(
            dependencies.Any(d => d.StartsWith("AblyPgTyped", StringComparison.OrdinalIgnoreCase)),
            "The package must not depend on the generator (or itself).\n" + text);
        Assert.False(
            dependencies.Any(d => d.StartsWith("Microsoft.CodeAnalysis", StringComparison.OrdinalIgnoreCase)),
            "The package must not depend on Roslyn.\n" + text);
        Assert.True(
            dependencies.Contains("Npgsql", StringComparer.OrdinalIgnoreCase),
            "The runtime's own dependencies must still flow (Npgsql).\n" + text);
    }

    [Fact]
    public async Task Subscriber_package_ships_both_targets_and_depends_on_the_runtime_of_its_version_and_nothing_of_the_build()
    {
        var feed = await _fixture.GetFeedAsync();
        using var archive = ZipFile.OpenRead(feed.SubscriberPackagePath);
        var entries = archive.Entries.Select(e => e.FullName.Replace('\\', '/')).ToList();
        Assert.Contains("lib/net8.0/AblyPgTyped.Subscriber.dll", entries);
        Assert.Contains("lib/net10.0/AblyPgTyped.Subscriber.dll", entries);
        Assert.DoesNotContain(entries, e => e.StartsWith("analyzers/", StringComparison.Ordinal));

        var dependencies = Dependencies(archive);
        Assert.Contains(("AblyPgTyped", feed.Version), dependencies);
        using var runtime = ZipFile.OpenRead(feed.PackagePath);
        Assert.DoesNotContain(dependencies.Concat(Dependencies(runtime)), d => d.Id.Contains("PublicApiAnalyzers", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Fresh_consumer_builds_and_runs_the_generated_mapping()
    {
        var consumer = await _fixture.GetValidConsumerAsync();
        Assert.True(consumer.Build.ExitCode == 0, "The consumer did not build.\n" + consumer.Build);

        _output.WriteLine(consumer.Build.ToString());
        var run = await DotnetCli.RunAsync(consumer.Directory, "run", "--no-build", "-c", "Release");
        _output.WriteLine(run.ToString());
        Assert.True(run.ExitCode == 0, "The consumer did not run.\n" + run);

        var values = ParseValues(run.Output);
        string Value(string key) =>
            values.TryGetValue(key, out var value) ? value : throw new Xunit.Sdk.XunitException($"The consumer printed no '{key}='.\n{run}");

        Assert.Equal("users:42", Value("update-channel"));
        Assert.Equal("ably-users-added", Value("insert-channel"));
        Assert.Equal("<null>", Value("delete-channel"));

        var json = Value("json");
        Assert.StartsWith("{", json, StringComparison.Ordinal);
        Assert.Contains("\"Id\":42", json, StringComparison.Ordinal);
        Assert.Contains("\"Name\":\"Ada ", json, StringComparison.Ordinal); // Its escaping is the writer's business; the round trip checks it.
        Assert.Contains("\"Big\":\"9007199254740993\"", json, StringComparison.Ordinal);
        Assert.Contains("\"Avatar\":\"AAEC+v8=\"", json, StringComparison.Ordinal);
        Assert.Contains("\"Seen\":", json, StringComparison.Ordinal);

        Assert.Equal("True", Value("roundtrip"));
        Assert.Equal("True", Value("nulls"));
        Assert.Equal("1", Value("count"));
        Assert.Equal("ConsumerApp.User", Value("registry-type"));
        Assert.Equal("Id,Name,Big,Avatar,Seen", Value("columns"));
        Assert.Equal("Id", Value("keys"));
        Assert.Equal("True", Value("install-has-trigger"));
    }

    [Fact]
    public async Task Fresh_consumer_loads_the_packaged_generator_without_compiler_version_warnings()
    {
        var consumer = await _fixture.GetValidConsumerAsync();
        Assert.True(consumer.Build.ExitCode == 0, "The consumer did not build.\n" + consumer.Build);

        // CS9057: the analyzer references a newer compiler than the one running; CS8032: an analyzer failed to load.
        Assert.DoesNotContain("CS9057", consumer.Build.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("CS8032", consumer.Build.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("AD0001", consumer.Build.Output, StringComparison.Ordinal);

        // The generator that ran is the one from the package, not anything in this repository.
        var generated = Path.Combine(consumer.Directory, "obj", "Release", "net10.0", "generated", "AblyPgTyped.Generators");
        Assert.True(Directory.Exists(generated), $"No generated sources under {generated}.\n{consumer.Build}");
        var files = Directory.GetFiles(generated, "*.g.cs", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        Assert.Contains("ConsumerApp.UserAblyTable.g.cs", files);
        Assert.Contains("AblyPgTables.g.cs", files);

        var assets = await File.ReadAllTextAsync(Path.Combine(consumer.Directory, "obj", "project.assets.json"));
        Assert.Contains("analyzers/dotnet/cs/AblyPgTyped.Generators.dll", assets, StringComparison.Ordinal);
        Assert.Contains(_fixture.PackagesFolder.Replace('\\', '/'), assets.Replace("\\\\", "/", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_mapping_fails_the_consumer_build_with_the_generator_errors()
    {
        var feed = await _fixture.GetFeedAsync();
        var directory = _fixture.CreateConsumer("invalid", "Invalid", feed);

        var build = await DotnetCli.RunAsync(directory, "build", "-c", "Release", "-nodeReuse:false", "-p:RestorePackagesPath=" + _fixture.PackagesFolder);
        _output.WriteLine(build.ToString());
        Assert.True(build.ExitCode != 0, "The build of invalid mappings succeeded.\n" + build);

        var lines = build.Output.Split('\n');
        var noChannel = lines.FirstOrDefault(l => l.Contains("error APG0001", StringComparison.Ordinal));
        Assert.True(noChannel is not null, "No 'error APG0001' in the build output.\n" + build);
        Assert.Contains("NoChannelRow", noChannel, StringComparison.Ordinal);
        Assert.Contains("Program.cs(", noChannel, StringComparison.Ordinal);

        var unsupported = lines.FirstOrDefault(l => l.Contains("error APG0007", StringComparison.Ordinal));
        Assert.True(unsupported is not null, "No 'error APG0007' in the build output.\n" + build);
        Assert.Contains("LinkRow.Target", unsupported, StringComparison.Ordinal);
        Assert.Contains("System.Uri", unsupported, StringComparison.Ordinal);
        Assert.Contains("Program.cs(", unsupported, StringComparison.Ordinal);

        // The generator reports; it does not crash.
        Assert.DoesNotContain("CS8785", build.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("AD0001", build.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Contracts_with_public_mappings_serve_a_publisher_that_sees_their_internals_and_a_subscriber_that_does_not()
    {
        var feed = await _fixture.GetFeedAsync();
        var root = Path.Combine(_fixture.WorkRoot, "shop");
        _fixture.CreateContracts(Path.Combine(root, "contracts"), feed);
        var publisherDirectory = _fixture.CreateProject(Path.Combine(root, "publisher"), feed,
            ("Publisher/Publisher.csproj.txt", "Publisher.csproj"),
            ("Publisher/Program.cs.txt", "Program.cs"));
        var subscriberDirectory = _fixture.CreateProject(Path.Combine(root, "subscriber"), feed,
            ("Subscriber/Subscriber.csproj.txt", "Subscriber.csproj"),
            ("Subscriber/Program.cs.txt", "Program.cs"));

        // Warnings are errors in all three projects: CS0436 (two registries of one name), CS0122 (an internal mapping
        // used from outside) and an APG0018 that #pragma or .editorconfig failed to silence would each fail the build.
        var publisher = await _fixture.BuildAndRunAsync(publisherDirectory);
        _output.WriteLine(publisher.ToString());
        var subscriber = await _fixture.BuildAndRunAsync(subscriberDirectory);
        _output.WriteLine(subscriber.ToString());
        foreach (var id in new[] { "CS0436", "CS0122", "APG0018" })
        {
            Assert.DoesNotContain(id, publisher.Build.Output + subscriber.Build.Output, StringComparison.Ordinal);
        }

        var published = ParseValues(publisher.Run.Output);
        Assert.Equal("shop.audit_entries,shop.notes,shop.orders,shop.shipments", published.GetValueOrDefault("tables"));
        Assert.Equal("id,action", published.GetValueOrDefault("audit-columns"));
        Assert.Equal("id,customer_id,order_status", published.GetValueOrDefault("order-columns"));
        Assert.Equal("SnakeCase", published.GetValueOrDefault("order-naming"));
        Assert.Equal("Id,OrderId", published.GetValueOrDefault("shipment-columns"));
        Assert.Equal("Exact", published.GetValueOrDefault("shipment-naming"));

        var received = ParseValues(subscriber.Run.Output);
        Assert.Equal("Order { Id = 1, CustomerId = 7, OrderStatus = paid }", received.GetValueOrDefault("order"));
        Assert.Equal("{\"id\":1,\"customer_id\":7,\"order_status\":\"paid\"}", received.GetValueOrDefault("json"));
        Assert.Equal("customers:7", received.GetValueOrDefault("channel"));
    }

    [Fact]
    public async Task A_net8_consumer_of_public_contracts_reads_a_publishers_typed_changes_through_the_subscriber()
    {
        var feed = await _fixture.GetFeedAsync();
        var root = Path.Combine(_fixture.WorkRoot, "shop8");
        _fixture.CreateContracts(Path.Combine(root, "contracts"), feed);
        var publisherDirectory = _fixture.CreateProject(Path.Combine(root, "publisher"), feed,
            ("Publisher/Publisher.csproj.txt", "Publisher.csproj"),
            ("Publisher/Program.cs.txt", "Program.cs"));
        var readerDirectory = _fixture.CreateProject(Path.Combine(root, "net8-reader"), feed,
            ("Net8Reader/Net8Reader.csproj.txt", "Net8Reader.csproj"),
            ("Net8Reader/Program.cs.txt", "Program.cs"));
        foreach (var directory in new[] { readerDirectory, publisherDirectory })
        {
            var build = await DotnetCli.RunAsync(directory, "build", "-c", "Release", "-nodeReuse:false", "-p:RestorePackagesPath=" + _fixture.PackagesFolder);
            _output.WriteLine(build.ToString());
            Assert.True(build.ExitCode == 0, $"{directory} did not build.\n{build}");
        }

        const string key = "shop.key:s3cr3t";
        await using var ably = await LocalAblyServer.StartAsync(new LocalAblyOptions { ApiKeys = { key } });
        var connectionString = await _postgres.Server.CreateDatabaseAsync();
        var port = ably.Port.ToString(CultureInfo.InvariantCulture);

        // Only the .NET 10 runtime may be installed: roll forward to it, as a net8.0 app on a newer machine does.
        var reading = DotnetCli.RunAsync(
            readerDirectory, new Dictionary<string, string> { ["DOTNET_ROLL_FORWARD"] = "Major" },
            "run", "--no-build", "-c", "Release", "--", port, key, "orders,customers:7", "3");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (ably.GetStats().OpenSseConnections == 0)
        {
            if (reading.IsCompleted)
            {
                Assert.Fail("The net8.0 consumer ended before subscribing.\n" + await reading);
            }

            Assert.True(DateTime.UtcNow < deadline, "The net8.0 consumer did not subscribe within 60 s.");
            await Task.Delay(50);
        }

        var publish = await DotnetCli.RunAsync(publisherDirectory, "run", "--no-build", "-c", "Release", "--", "publish", connectionString, port, key);
        _output.WriteLine(publish.ToString());
        Assert.True(publish.ExitCode == 0, "The publisher failed.\n" + publish);
        var read = await reading;
        _output.WriteLine(read.ToString());
        Assert.True(read.ExitCode == 0, "The net8.0 consumer failed.\n" + read);

        var values = ParseValues(read.Output);
        Assert.Equal(".NETCoreApp,Version=v8.0", values.GetValueOrDefault("runtime-target"));
        Assert.Equal(".NETCoreApp,Version=v8.0", values.GetValueOrDefault("subscriber-target"));
        Assert.Equal("Update User { Id = 1, Name = Ada } -> User { Id = 1, Name = Ada L }", values.GetValueOrDefault("change"));
        Assert.Equal("users:1", values.GetValueOrDefault("channel"));
        Assert.Equal("orders,customers:7", values.GetValueOrDefault("subscribed"));

        // Typed, per channel in order: the insert, the payment, and the customer's channel hearing the order leave.
        var received = read.Output.Split('\n').Where(l => l.StartsWith("received=", StringComparison.Ordinal)).Select(l => l["received=".Length..].TrimEnd('\r')).ToList();
        Assert.Equal(["orders Insert  -> Order { Id = 1, CustomerId = 7, OrderStatus = placed }"], received.Where(l => l.StartsWith("orders ", StringComparison.Ordinal)));
        Assert.Equal(
            [
                "customers:7 Update Order { Id = 1, CustomerId = 7, OrderStatus = placed } -> Order { Id = 1, CustomerId = 7, OrderStatus = paid }",
                "customers:7 Delete moved Order { Id = 1, CustomerId = 7, OrderStatus = paid } -> ",
            ],
            received.Where(l => l.StartsWith("customers:7 ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Readme_csharp_examples_compile_in_a_consumer_of_the_packages()
    {
        var feed = await _fixture.GetFeedAsync();
        var readme = await File.ReadAllTextAsync(Path.Combine(_fixture.RepositoryRoot, "README.md"));
        var blocks = ReadmeSnippets.Extract(readme);
        Assert.True(blocks.Count >= 9, $"Only {blocks.Count} ```csharp blocks found in README.md.");

        var directory = _fixture.CreateProject(Path.Combine(_fixture.WorkRoot, "readme"), feed,
            ("Readme/Readme.csproj.txt", "Readme.csproj"),
            ("Readme/Context.cs.txt", "Context.cs"));
        foreach (var (file, text) in ReadmeSnippets.ToSources(blocks, "Shop"))
        {
            await File.WriteAllTextAsync(Path.Combine(directory, file), text);
        }

        var build = await DotnetCli.RunAsync(directory, "build", "-c", "Release", "-nodeReuse:false", "-p:RestorePackagesPath=" + _fixture.PackagesFolder);
        _output.WriteLine(build.ToString());
        Assert.True(build.ExitCode == 0, "The README's C# examples do not compile (the errors name README.md lines).\n" + build);
    }

    private static List<(string Id, string Version)> Dependencies(ZipArchive archive)
    {
        var nuspecEntry = Assert.Single(archive.Entries, e => e.FullName.EndsWith(".nuspec", StringComparison.OrdinalIgnoreCase) && !e.FullName.Contains('/'));
        using var stream = nuspecEntry.Open();
        return XDocument.Load(stream).Descendants()
            .Where(e => e.Name.LocalName == "dependency")
            .Select(e => ((string?)e.Attribute("id") ?? "", (string?)e.Attribute("version") ?? ""))
            .Distinct()
            .ToList();
    }

    private static Dictionary<string, string> ParseValues(string output)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in output.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && !line[..equals].Contains(' ', StringComparison.Ordinal))
            {
                values[line[..equals]] = line[(equals + 1)..];
            }
        }

        return values;
    }
}

/// <summary>The packed feed and the valid consumer build, made once and shared by the packaging tests.</summary>
public sealed class PackagingFixture : IDisposable
{
    private readonly Lazy<Task<PackedFeed>> _feed;
    private readonly Lazy<Task<ConsumerBuild>> _validConsumer;

    public PackagingFixture()
    {
        RepositoryRoot = RepositoryPaths.Root;

        // Prerelease identifiers: no leading zeros, hence the leading "1" before the process id.
        Version = string.Create(
            CultureInfo.InvariantCulture,
            $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.1{Environment.ProcessId}");
        WorkRoot = Path.Combine(Path.GetTempPath(), "ablypg-packaging-" + Guid.NewGuid().ToString("N")[..12]);
        if (IsUnder(WorkRoot, RepositoryRoot))
        {
            throw new InvalidOperationException($"The temporary folder {WorkRoot} is inside the repository {RepositoryRoot}.");
        }

        Directory.CreateDirectory(WorkRoot);
        FeedFolder = Path.Combine(WorkRoot, "feed");
        PackagesFolder = Path.Combine(WorkRoot, "packages");

        // Nothing from the folders above the consumers (Directory.*.props/targets, nuget.config) may leak in.
        File.WriteAllText(Path.Combine(WorkRoot, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(WorkRoot, "Directory.Build.targets"), "<Project />\n");
        File.WriteAllText(Path.Combine(WorkRoot, "Directory.Packages.props"), "<Project />\n");
        File.WriteAllText(
            Path.Combine(WorkRoot, "nuget.config"),
            Template("nuget.config.txt")
                .Replace("@FEED@", FeedFolder, StringComparison.Ordinal)
                .Replace("@PACKAGES@", PackagesFolder, StringComparison.Ordinal));

        _feed = new Lazy<Task<PackedFeed>>(PackAsync, LazyThreadSafetyMode.ExecutionAndPublication);
        _validConsumer = new Lazy<Task<ConsumerBuild>>(BuildValidConsumerAsync, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public string RepositoryRoot { get; }

    public string Version { get; }

    public string WorkRoot { get; }

    public string FeedFolder { get; }

    public string PackagesFolder { get; }

    public Task<PackedFeed> GetFeedAsync() => _feed.Value;

    public Task<ConsumerBuild> GetValidConsumerAsync() => _validConsumer.Value;

    /// <summary>Writes a consumer project from the templates into a new folder under <see cref="WorkRoot"/>.</summary>
    public string CreateConsumer(string name, string sourceFolder, PackedFeed feed)
    {
        var directory = Path.Combine(WorkRoot, name);
        Directory.CreateDirectory(directory);
        File.WriteAllText(
            Path.Combine(directory, "Consumer.csproj"),
            Template("Consumer.csproj.txt").Replace("@ABLYPGTYPED_VERSION@", feed.Version, StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(directory, "Program.cs"), Template(Path.Combine(sourceFolder, "Program.cs.txt")));
        return directory;
    }

    /// <summary>Writes a project from templates (relative to <c>Consumer/</c>) into <paramref name="directory"/>.</summary>
    public string CreateProject(string directory, PackedFeed feed, params (string Template, string File)[] files)
    {
        Directory.CreateDirectory(directory);
        foreach (var (template, file) in files)
        {
            File.WriteAllText(
                Path.Combine(directory, file),
                Template(template).Replace("@ABLYPGTYPED_VERSION@", feed.Version, StringComparison.Ordinal));
        }

        return directory;
    }

    /// <summary>Writes the contracts library (public mappings, for net8.0) into <paramref name="directory"/>.</summary>
    public string CreateContracts(string directory, PackedFeed feed) => CreateProject(directory, feed,
        ("Contracts/Contracts.csproj.txt", "Contracts.csproj"),
        ("Contracts/Contracts.cs.txt", "Contracts.cs"),
        ("Contracts/Internal.cs.txt", "Internal.cs"),
        ("Contracts/editorconfig.txt", ".editorconfig"));

    /// <summary>Builds a consumer project (with what it references) and runs it; either failing fails the test.</summary>
    public async Task<(ProcessResult Build, ProcessResult Run)> BuildAndRunAsync(string directory)
    {
        var build = await DotnetCli.RunAsync(directory, "build", "-c", "Release", "-nodeReuse:false", "-p:RestorePackagesPath=" + PackagesFolder);
        if (build.ExitCode != 0)
        {
            throw new Xunit.Sdk.XunitException($"The project in {directory} did not build.\n{build}");
        }

        var run = await DotnetCli.RunAsync(directory, "run", "--no-build", "-c", "Release");
        if (run.ExitCode != 0)
        {
            throw new Xunit.Sdk.XunitException($"The project in {directory} did not run.\n{run}");
        }

        return (build, run);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(WorkRoot, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Packs the runtime, then the subscriber (which depends on it), into the feed.</summary>
    private async Task<PackedFeed> PackAsync()
    {
        var (package, pack) = await PackAsync("AblyPgTyped");
        var (subscriber, _) = await PackAsync("AblyPgTyped.Subscriber");
        await PackAsync("AblyPgTyped.OpenTelemetry"); // the README's observability example uses it
        return new PackedFeed(Version, package, subscriber, pack);
    }

    private async Task<(string Package, ProcessResult Pack)> PackAsync(string project)
    {
        var pack = await DotnetCli.RunAsync(
            RepositoryRoot,
            "pack", Path.Combine(RepositoryRoot, "src", project), "-c", "Release", "-o", FeedFolder, "-nodeReuse:false", "-p:PackageVersion=" + Version);
        if (pack.ExitCode != 0)
        {
            throw new Xunit.Sdk.XunitException($"dotnet pack of {project} failed.\n" + pack);
        }

        var package = Path.Combine(FeedFolder, $"{project}.{Version}.nupkg");
        if (!File.Exists(package))
        {
            var found = Directory.Exists(FeedFolder) ? string.Join(", ", Directory.GetFiles(FeedFolder)) : "(no feed folder)";
            throw new Xunit.Sdk.XunitException($"dotnet pack did not produce {package}; found: {found}.\n{pack}");
        }

        return (package, pack);
    }

    private async Task<ConsumerBuild> BuildValidConsumerAsync()
    {
        var feed = await GetFeedAsync();
        var directory = CreateConsumer("valid", "Valid", feed);
        var build = await DotnetCli.RunAsync(directory, "build", "-c", "Release", "-nodeReuse:false", "-p:RestorePackagesPath=" + PackagesFolder);
        return new ConsumerBuild(directory, build);
    }

    private string Template(string relativePath) =>
        File.ReadAllText(Path.Combine(RepositoryRoot, "tests", "AblyPgTyped.Generators.Tests", "Consumer", relativePath));

    private static bool IsUnder(string path, string root)
    {
        var full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        var parent = Path.GetFullPath(root).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        return full.StartsWith(parent, StringComparison.Ordinal);
    }
}

public sealed record PackedFeed(string Version, string PackagePath, string SubscriberPackagePath, ProcessResult Pack);

public sealed record ConsumerBuild(string Directory, ProcessResult Build);

public sealed record ProcessResult(string CommandLine, int ExitCode, string Output, TimeSpan Elapsed)
{
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"> {CommandLine}\n(exit code {ExitCode}, {Elapsed.TotalSeconds:F1} s)\n{Output}");
}

/// <summary>Runs the dotnet CLI with a clean, non-interactive environment and a hard timeout.</summary>
internal static class DotnetCli
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(5);

    public static Task<ProcessResult> RunAsync(string workingDirectory, params string[] arguments) =>
        RunAsync(workingDirectory, new Dictionary<string, string>(), arguments);

    /// <summary>Runs the dotnet CLI with <paramref name="environment"/> added to its clean environment.</summary>
    public static async Task<ProcessResult> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo(DotnetPath())
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The test host runs under `dotnet test`, whose MSBuild settings must not steer the child builds.
        foreach (var key in start.Environment.Keys.ToList())
        {
            if (key.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)
                || key.Equals("NUGET_PACKAGES", StringComparison.OrdinalIgnoreCase)
                || key.Equals("DOTNET_HOST_PATH", StringComparison.OrdinalIgnoreCase))
            {
                start.Environment.Remove(key);
            }
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        start.Environment["DOTNET_CLI_UI_LANGUAGE"] = "en";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["UseSharedCompilation"] = "false";
        start.Environment["NUGET_XMLDOC_MODE"] = "skip";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var commandLine = "dotnet " + string.Join(" ", arguments);
        var output = new StringBuilder();
        var stopwatch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var timeout = new CancellationTokenSource(s_timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }

            process.WaitForExit();
            throw new Xunit.Sdk.XunitException(
                $"> {commandLine}\ntimed out after {s_timeout.TotalMinutes} minutes (process tree killed).\n{Snapshot(output)}");
        }

        // Drains the asynchronous readers.
        process.WaitForExit();
        return new ProcessResult(commandLine, process.ExitCode, Snapshot(output), stopwatch.Elapsed);
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.Append(line).Append('\n');
        }
    }

    private static string Snapshot(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    private static string DotnetPath()
    {
        // `dotnet test` tells the host where its dotnet is; otherwise the test host itself usually is dotnet.
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }

        var self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return self;
        }

        return "dotnet";
    }
}
