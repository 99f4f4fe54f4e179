using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using AblyPgTyped.Publishing;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using Xunit;
using Xunit.Abstractions;

namespace AblyPgTyped.Tests.Subscriber;

/// <summary>
/// The typed subscriber against the local endpoint's <c>/sse</c>, fed by a real connector from a real PostgreSQL (or,
/// for repeats and foreign messages, by REST publishes made by hand).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ChangeSubscriberTests(PostgresFixture postgres, ITestOutputHelper output)
{
    private const string Inserts = "users";
    private const string Updates = "users:1";

    [Fact]
    public async Task Typed_inserts_updates_deletes_and_bundles_arrive_once_in_each_channels_order()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        var options = h.Options(AblyPgTables.User);
        options.MaxChangesPerMessage = 100; // bursts on one channel are bundled
        await h.StartConnectorAsync(options);

        using var subscriber = new ChangeSubscriber(Local(h.Ably.Port, key: ConnectorHarness.ApiKey));
        await using var subscription = await subscriber.SubscribeAsync(AblyPgTables.User, [Inserts, Updates]);
        await using var reader = Reader.Start(subscription);

        await h.ExecuteAsync("""INSERT INTO users VALUES (1, 'Ada', NULL)""");
        await h.ExecuteAsync("""UPDATE users SET "Name" = 'Ada v1' WHERE "Id" = 1""");
        await h.ExecuteAsync("""INSERT INTO users SELECT g, 'u' || g, NULL FROM generate_series(2, 301) g""");
        await h.ExecuteAsync("""DO $$ BEGIN FOR i IN 2..101 LOOP UPDATE users SET "Name" = 'Ada v' || i WHERE "Id" = 1; END LOOP; END $$""");
        await h.ExecuteAsync("""DELETE FROM users WHERE "Id" BETWEEN 2 AND 51""");
        await reader.WaitForAsync(Inserts, 351);
        await reader.WaitForAsync(Updates, 101);

        Assert.Equal(
            Enumerable.Range(1, 301).Select(id => $"Insert {id}").Concat(Enumerable.Range(2, 50).Select(id => $"Delete {id}")),
            reader.Changes(Inserts).Select(c => $"{c.Kind} {c.Row.Id}"));
        Assert.Equal(Enumerable.Range(1, 101).Select(i => $"Ada v{i}"), reader.Changes(Updates).Select(c => c.New!.Name));
        Assert.Equal(["Ada", .. Enumerable.Range(1, 100).Select(i => $"Ada v{i}")], reader.Changes(Updates).Select(c => c.Old!.Name));

        // Exactly what the endpoint accepted, bundles included, in its order; typed on the way.
        foreach (var channel in new[] { Inserts, Updates })
        {
            var accepted = h.Ably.GetMessages(channel);
            Assert.Contains(accepted, m => m.Name == "bundle");
            Assert.Equal(
                accepted.SelectMany(m => AblyPgTables.User.ReadChanges(m.DataString!).Select(c => (m.Id, c.Position))),
                reader.Received(channel).Select(r => (r.MessageId!, r.Change.Position)));
        }

        await Task.Delay(300);
        Assert.Equal(452, reader.Count);
    }

    [Fact]
    public async Task A_silent_partition_and_a_reset_connection_resume_from_the_last_event_with_nothing_lost_or_repeated()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, CaptureMode.Triggers, a => a.SseKeepAliveInterval = TimeSpan.FromMilliseconds(200), Schemas.Users);
        await h.StartConnectorAsync(h.Options(AblyPgTables.User));
        await using var proxy = new SilentPartitionProxy(h.Ably.Port);

        // A token for every connection, as a long-lived subscriber renews one.
        using var http = new HttpClient { BaseAddress = h.Ably.BaseAddress };
        var tokens = 0;
        var options = Local(proxy.Port);
        options.AuthCallback = async ct => { Interlocked.Increment(ref tokens); return await http.GetStringAsync("_local/token", ct); };
        options.IdleTimeout = TimeSpan.FromSeconds(1);
        options.RealtimeRequestTimeout = TimeSpan.FromSeconds(1);
        options.DisconnectedRetryTimeout = TimeSpan.FromMilliseconds(300);
        using var subscriber = new ChangeSubscriber(options);
        await using var subscription = await subscriber.SubscribeAsync(AblyPgTables.User, [Inserts, Updates]);
        await using var reader = Reader.Start(subscription);

        await h.ExecuteAsync("""INSERT INTO users SELECT g, 'u' || g, NULL FROM generate_series(1, 20) g""");
        await reader.WaitForAsync(Inserts, 20);

        // The path goes dark: no error, no FIN. The subscriber notices the silence, and its reopening attempts time out.
        proxy.Partition();
        await h.ExecuteAsync("""INSERT INTO users SELECT g, 'u' || g, NULL FROM generate_series(21, 40) g""");
        for (var i = 1; i <= 5; i++)
        {
            await h.ExecuteAsync($"""UPDATE users SET "Name" = 'v{i}' WHERE "Id" = 1""");
        }

        await h.Ably.WaitForMessagesAsync(Updates, 5, TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(20, reader.Count);
        proxy.Heal();
        await reader.WaitForAsync(Inserts, 40);
        await reader.WaitForAsync(Updates, 5);
        var afterPartition = subscription.Reconnections;
        Assert.True(afterPartition >= 1, "the silent stream was reopened");

        // The connection is reset (RST) while changes keep coming.
        var writing = Task.Run(async () =>
        {
            for (var i = 41; i <= 100; i++)
            {
                await h.ExecuteAsync($"""INSERT INTO users VALUES ({i}, 'u{i}', NULL)""");
                await Task.Delay(10);
            }
        });
        await reader.WaitForAsync(Inserts, 50);
        Assert.True(proxy.Reset() >= 1, "a connection was open to reset");
        await writing;
        await reader.WaitForAsync(Inserts, 100);
        Assert.True(subscription.Reconnections > afterPartition, "the reset stream was reopened");

        // Nothing lost, nothing twice, each channel in the endpoint's order; the event ids (the endpoint's global
        // sequence numbers) only ever go up, so no event was delivered twice either.
        await Task.Delay(500);
        Assert.Equal(Enumerable.Range(1, 100), reader.Changes(Inserts).Select(c => c.Row.Id));
        Assert.Equal(["v1", "v2", "v3", "v4", "v5"], reader.Changes(Updates).Select(c => c.New!.Name));
        var eventIds = reader.All.Select(r => long.Parse(r.EventId!, CultureInfo.InvariantCulture)).ToList();
        Assert.True(eventIds.Zip(eventIds.Skip(1)).All(p => p.First < p.Second), "event ids increase");
        Assert.Equal(eventIds[^1].ToString(CultureInfo.InvariantCulture), subscription.LastEventId);
        Assert.True(tokens >= 1 + subscription.Reconnections, $"a token for each connection ({tokens} for {subscription.Reconnections + 1})");
        output.WriteLine($"{subscription.Reconnections} reconnections, {tokens} tokens");
    }

    [Fact]
    public async Task A_change_already_delivered_on_its_channel_is_dropped_and_other_tables_are_skipped()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres);
        using var subscriber = new ChangeSubscriber(Local(h.Ably.Port, key: ConnectorHarness.ApiKey));
        await using var subscription = await subscriber.SubscribeAsync(AblyPgTables.User, ["users", "users:1"]);
        await using var reader = Reader.Start(subscription);

        // A change, then a bundle re-cut after a crash that carries it again under another id, then another table's
        // change on the same channel, then the same position on another channel (an update and its row's departure).
        using var ably = new HttpClient { BaseAddress = h.Ably.BaseAddress };
        ably.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(ConnectorHarness.ApiKey)));
        await PublishAsync(ably, "users", "a-5-0", "insert", "users", Change("insert", "5.0", 5));
        await PublishAsync(ably, "users", "a-5-0-2", "bundle", "users", $$"""{"changes":[{{Change("insert", "5.0", 5)}},{{Change("insert", "5.1", 6)}}]}""");
        await PublishAsync(ably, "users", "a-6-0", "insert", "audit", """{"schema":"public","table":"audit","operation":"insert","position":"6.0","new":{"Id":1,"What":"x"}}""");
        await PublishAsync(ably, "users", "a-7-0", "delete", "users", Change("delete", "7.0", 7));
        await PublishAsync(ably, "users:1", "a-7-0-b", "delete", "users", Change("delete", "7.0", 7));
        await reader.WaitForAsync("users", 3);
        await reader.WaitForAsync("users:1", 1);
        await Task.Delay(300);

        Assert.Equal(["users 5.0 a-5-0", "users 5.1 a-5-0-2", "users 7.0 a-7-0", "users:1 7.0 a-7-0-b"], reader.All.Select(r => $"{r.Channel} {r.Change.Position} {r.MessageId}"));
        Assert.Equal(new User(6, "u6", null), reader.All[1].Change.New);
    }

    [Fact]
    public async Task A_wrong_key_fails_subscribing_with_Ablys_error_naming_the_key_but_never_its_secret()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres);
        var keyName = ConnectorHarness.ApiKey.Split(':')[0];

        using var wrongSecret = new ChangeSubscriber(Local(h.Ably.Port, key: keyName + ":not-the-secret"));
        var refused = await Assert.ThrowsAsync<ChangeSubscriptionException>(() => wrongSecret.SubscribeAsync(AblyPgTables.User, ["users"]));
        output.WriteLine(refused.Message);
        Assert.Equal(40101, refused.Code);
        Assert.Equal(401, refused.StatusCode);
        Assert.Contains($"\"{keyName}\"", refused.Message, StringComparison.Ordinal);
        Assert.Contains("ChangeSubscriberOptions.Key", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-secret", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(keyName + ":not-the-secret")), refused.Message, StringComparison.Ordinal);

        using var unknownKey = new ChangeSubscriber(Local(h.Ably.Port, key: "other.key:s3cr3t-value"));
        var unknown = await Assert.ThrowsAsync<ChangeSubscriptionException>(() => unknownKey.SubscribeAsync(AblyPgTables.User, ["users"]));
        Assert.Equal(40101, unknown.Code);
        Assert.Contains("other.key", unknown.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t-value", unknown.Message, StringComparison.Ordinal);

        var malformed = Assert.Throws<AblyConfigurationException>(() => new ChangeSubscriber(Local(h.Ably.Port, key: "just-one-part-s3cr3t")));
        Assert.Contains("ChangeSubscriberOptions.Key", malformed.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", malformed.Message, StringComparison.Ordinal);

        // Nothing listening: a clear error when subscribing, rather than a silent wait.
        var closedPort = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closedPort.Start();
        var port = ((System.Net.IPEndPoint)closedPort.LocalEndpoint).Port;
        closedPort.Stop();
        using var nobody = new ChangeSubscriber(Local(port, key: ConnectorHarness.ApiKey));
        var unreachable = await Assert.ThrowsAsync<ChangeSubscriptionException>(() => nobody.SubscribeAsync(AblyPgTables.User, ["users"]));
        Assert.Contains($"127.0.0.1:{port}", unreachable.Message, StringComparison.Ordinal);
        Assert.Null(unreachable.Code);
    }

    [Fact]
    public async Task A_token_is_sent_as_a_bearer_and_one_Ably_does_not_know_fails_naming_the_fix_but_not_the_token()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        await h.StartConnectorAsync(h.Options(AblyPgTables.User));
        using var http = new HttpClient { BaseAddress = h.Ably.BaseAddress };
        var token = await http.GetStringAsync("_local/token");

        var good = Local(h.Ably.Port);
        good.Token = token;
        using var subscriber = new ChangeSubscriber(good);
        await using var subscription = await subscriber.SubscribeAsync(AblyPgTables.User, ["users"]);
        await using var reader = Reader.Start(subscription);
        await h.ExecuteAsync("""INSERT INTO users VALUES (1, 'Ada', NULL)""");
        await reader.WaitForAsync("users", 1);

        var bad = Local(h.Ably.Port);
        bad.Token = "made-up-token-value";
        using var refused = new ChangeSubscriber(bad);
        var error = await Assert.ThrowsAsync<ChangeSubscriptionException>(() => refused.SubscribeAsync(AblyPgTables.User, ["users"]));
        Assert.Equal(40143, error.Code);
        Assert.Contains("AuthCallback", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("made-up-token-value", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null, "main.realtime.ably.net")]
    [InlineData("main", null, "main.realtime.ably.net")]
    [InlineData("nonprod:sandbox", null, "sandbox.realtime.ably-nonprod.net")]
    [InlineData("ably.example.com", null, "ably.example.com")]
    [InlineData("localhost", null, "localhost")]
    [InlineData(null, "127.0.0.1", "127.0.0.1")]
    public void Endpoint_and_RestHost_name_the_host_as_Ablys_SDKs_and_the_connector_do(string? endpoint, string? restHost, string host)
    {
        var options = new ChangeSubscriberOptions { Key = "app.key:secret", Endpoint = endpoint, RestHost = restHost };
        options.Validate();
        Assert.Equal(host, options.Host);
        Assert.Equal($"https://{host}/", options.BaseAddress.ToString());
    }

    [Theory]
    [InlineData("Key", "needs credentials")]
    [InlineData("Both", "set Endpoint or RestHost, not both")]
    [InlineData("Host", "is not a host name")]
    [InlineData("Port", "is not a TCP port")]
    [InlineData("IdleTimeout", "IdleTimeout must be positive")]
    public void Options_that_cannot_work_are_refused_naming_the_setting(string wrong, string problem)
    {
        var options = new ChangeSubscriberOptions { Key = wrong == "Key" ? null : "app.key:secret" };
        switch (wrong)
        {
            case "Both": (options.Endpoint, options.RestHost) = ("a.example.com", "b.example.com"); break;
            case "Host": options.RestHost = "https://a.example.com/"; break;
            case "Port": options.Port = 70000; break;
            case "IdleTimeout": options.IdleTimeout = TimeSpan.Zero; break;
        }

        var error = Assert.Throws<AblyConfigurationException>(() => new ChangeSubscriber(options));
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelling_ends_the_enumeration_at_once()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres);
        using var subscriber = new ChangeSubscriber(Local(h.Ably.Port, key: ConnectorHarness.ApiKey));
        await using var subscription = await subscriber.SubscribeAsync(AblyPgTables.User, ["users"]);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var started = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var change in subscription.WithCancellation(cancel.Token))
            {
                Assert.Fail("no change was published: " + change);
            }
        });
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(3), $"ended after {started.Elapsed}");
    }

    private static ChangeSubscriberOptions Local(int port, string? key = null) => new()
    {
        Key = key,
        RestHost = "127.0.0.1",
        Port = port,
        Tls = false,
    };

    private static string Change(string operation, string position, int id)
    {
        var row = $$"""{"Id":{{id}},"Name":"u{{id}}","Bio":null}""";
        var which = operation == "delete" ? "old" : "new";
        return $$"""{"schema":"public","table":"users","operation":"{{operation}}","position":"{{position}}","capturedAt":"2026-11-24T10:15:02.123456Z","key":{"Id":{{id}}},"{{which}}":{{row}}}""";
    }

    private static async Task PublishAsync(HttpClient ably, string channel, string id, string name, string table, string data)
    {
        var message = JsonSerializer.Serialize(new
        {
            id,
            name,
            data,
            encoding = "json",
            extras = new { headers = new { schema = "public", table } },
        });
        using var content = new StringContent(message, Encoding.UTF8, "application/json");
        using var response = await ably.PostAsync("channels/" + Uri.EscapeDataString(channel) + "/messages", content);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Reads a subscription in the background, as an application does, keeping what arrives.</summary>
    private sealed class Reader : IAsyncDisposable
    {
        private readonly List<ReceivedChange<User>> _received = [];
        private readonly CancellationTokenSource _stop = new();
        private Task _reading = Task.CompletedTask;

        public int Count
        {
            get
            {
                lock (_received)
                {
                    return _received.Count;
                }
            }
        }

        public List<ReceivedChange<User>> All
        {
            get
            {
                lock (_received)
                {
                    return [.. _received];
                }
            }
        }

        public static Reader Start(ChangeSubscription<User> subscription)
        {
            var reader = new Reader();
            reader._reading = Task.Run(async () =>
            {
                await foreach (var received in subscription.ReadAllAsync(reader._stop.Token))
                {
                    lock (reader._received)
                    {
                        reader._received.Add(received);
                    }
                }
            });
            return reader;
        }

        public List<ReceivedChange<User>> Received(string channel) => All.Where(r => r.Channel == channel).ToList();

        public List<Change<User>> Changes(string channel) => Received(channel).Select(r => r.Change).ToList();

        public async Task WaitForAsync(string channel, int count)
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (Received(channel).Count < count)
            {
                if (_reading.IsFaulted)
                {
                    await _reading; // the subscription's own error says more than a timeout
                }

                Assert.True(DateTime.UtcNow < deadline, $"{channel}: {Received(channel).Count} of {count} changes");
                await Task.Delay(20);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try
            {
                await _reading;
            }
            catch (OperationCanceledException)
            {
            }

            _stop.Dispose();
        }
    }
}
