using System;
using System.Linq;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Xunit;
using static AblyPgTyped.LocalAbly.Tests.RealtimeTestClient;

namespace AblyPgTyped.LocalAbly.Tests;

/// <summary>Ably's realtime protocol over WebSocket, at the ProtocolMessage level (JSON).</summary>
public sealed class RealtimeProtocolTests
{
    [Fact]
    public async Task Connect_sends_connected_with_the_connection_details_ably_js_needs()
    {
        await using var t = await TestServer.StartAsync();
        (var client, var connected) = await ConnectedAsync(t.Server);
        await using var owned = client;

        var connectionId = connected.GetProperty("connectionId").GetString()!;
        var details = connected.GetProperty("connectionDetails");
        Assert.StartsWith(connectionId + "!", details.GetProperty("connectionKey").GetString(), StringComparison.Ordinal);
        Assert.Equal(65536, details.GetProperty("maxMessageSize").GetInt32());
        Assert.Equal(120_000, details.GetProperty("connectionStateTtl").GetInt64());
        Assert.Equal(15_000, details.GetProperty("maxIdleInterval").GetInt64());
        Assert.False(connected.TryGetProperty("error", out _));
        Assert.Equal(1, t.Server.OpenRealtimeConnections);
        Assert.Equal(1, t.Server.GetStats().RealtimeConnectionsAccepted);
    }

    [Theory]
    [InlineData("key=app.key%3Awrong&format=json")]
    [InlineData("key=other.key%3Asecret&format=json")]
    [InlineData("format=json")]
    [InlineData("access_token=not-issued&format=json")]
    public async Task A_wrong_or_missing_credential_gets_an_error_and_the_socket_is_closed(string query)
    {
        await using var t = await TestServer.StartAsync();
        await using var client = await ConnectAsync(t.Server, query);
        var error = (await client.ExpectAsync(Error)).GetProperty("error");
        Assert.Equal(401, error.GetProperty("statusCode").GetInt32());
        Assert.Equal(query.StartsWith("access_token", StringComparison.Ordinal) ? 40143 : 40101, error.GetProperty("code").GetInt32());
        Assert.DoesNotContain(":wrong", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(":secret", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        await client.ExpectClosedAsync();
        Assert.Equal(0, t.Server.GetStats().RealtimeConnectionsAccepted);
    }

    [Fact]
    public async Task A_token_from_the_local_token_endpoint_authenticates_without_the_key()
    {
        await using var t = await TestServer.StartAsync();
        using var anonymous = new System.Net.Http.HttpClient { BaseAddress = t.Server.BaseAddress };
        var token = await anonymous.GetStringAsync("/_local/token");
        await using var client = await ConnectAsync(t.Server, "access_token=" + Uri.EscapeDataString(token) + "&format=json");
        await client.ExpectAsync(Connected);
    }

    [Fact]
    public async Task Msgpack_is_refused_with_a_msgpack_error_that_says_to_use_json()
    {
        await using var t = await TestServer.StartAsync();
        await using var client = await ConnectAsync(t.Server, "key=" + Uri.EscapeDataString(TestServer.Key) + "&format=msgpack");
        await client.ExpectClosedAsync();
        var frame = Assert.Single(client.BinaryFrames);
        Assert.Equal(0x82, frame[0]); // a msgpack map: {action: 9, error: {...}}
        Assert.Contains("useBinaryProtocol: false", Encoding.UTF8.GetString(frame), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attach_delivers_rest_and_batch_publishes_as_stored_and_detach_stops_them()
    {
        await using var t = await TestServer.StartAsync();
        (var client, _) = await ConnectedAsync(t.Server);
        await using var owned = client;

        await client.SendAsync("""{"action":10,"channel":"orders"}""");
        var attached = await client.ExpectAsync(Attached);
        Assert.Equal("orders", attached.GetProperty("channel").GetString());
        var flags = attached.GetProperty("flags").GetInt64();
        Assert.Equal(SubscribeMode | PublishMode, flags & (SubscribeMode | PublishMode));
        Assert.Equal(0, flags & Resumed);
        Assert.False(string.IsNullOrEmpty(attached.GetProperty("channelSerial").GetString()));

        await t.PublishOkAsync("orders", """{"id":"o-1","name":"created","data":{"total":5},"extras":{"headers":{"k":"v"}}}""");
        await t.BatchOkAsync("""[{"channels":["orders","elsewhere"],"messages":[{"id":"b-1","name":"batched","data":"plain"}]}]""");
        var messages = await client.ReceiveMessagesAsync(2);
        var stored = t.Server.GetMessages("orders");
        Assert.Equal(stored.Select(m => m.Id), messages.Select(m => m.GetProperty("id").GetString()));
        Assert.Equal(["created", "batched"], messages.Select(m => m.GetProperty("name").GetString()));
        Assert.Equal("json", messages[0].GetProperty("encoding").GetString());
        Assert.Equal("""{"total":5}""", messages[0].GetProperty("data").GetString());
        Assert.Equal(stored[0].Timestamp, messages[0].GetProperty("timestamp").GetInt64());
        Assert.Equal("v", messages[0].GetProperty("extras").GetProperty("headers").GetProperty("k").GetString());
        Assert.Equal("plain", messages[1].GetProperty("data").GetString());
        Assert.False(messages[1].TryGetProperty("encoding", out _));

        await client.SendAsync("""{"action":12,"channel":"orders"}""");
        await client.ExpectAsync(Detached);
        await t.PublishOkAsync("orders", """{"data":"after detach"}""");
        await client.ExpectQuietAsync(TimeSpan.FromMilliseconds(500));
        Assert.Equal(2, t.Server.GetStats().RealtimeMessagesSent);
    }

    [Fact]
    public async Task Heartbeats_are_echoed_with_their_id_and_sent_within_the_idle_interval()
    {
        await using var t = await TestServer.StartAsync();
        (var client, var connected) = await ConnectedAsync(t.Server, "&heartbeatInterval=300");
        await using var owned = client;
        Assert.Equal(300, connected.GetProperty("connectionDetails").GetProperty("maxIdleInterval").GetInt64());

        await client.SendAsync("""{"action":0,"id":"ping-1"}""");
        JsonElement echo;
        do
        {
            echo = await client.ExpectAsync(Heartbeat); // an idle heartbeat (no id) may come first
        }
        while (!echo.TryGetProperty("id", out _));

        Assert.Equal("ping-1", echo.GetProperty("id").GetString());

        // Idle, the server still speaks within every interval (the slack is for a loaded machine, not the server).
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 5; i++)
        {
            var beat = await client.ExpectAsync(Heartbeat, seconds: 2);
            Assert.False(beat.TryGetProperty("id", out _));
            Assert.True(clock.ElapsedMilliseconds <= 300 + 400, "a heartbeat came " + clock.ElapsedMilliseconds + " ms after the previous message; the interval is 300 ms");
            clock.Restart();
        }
    }

    [Fact]
    public async Task Rewind_replays_a_number_of_messages_or_a_period_from_history_before_live_ones()
    {
        await using var t = await TestServer.StartAsync();
        await t.PublishOkAsync("feed", """[{"data":"1"},{"data":"2"},{"data":"3"},{"data":"4"},{"data":"5"}]""");
        (var client, _) = await ConnectedAsync(t.Server);
        await using var owned = client;

        await client.SendAsync("""{"action":10,"channel":"feed","params":{"rewind":"2"}}""");
        var attached = await client.ExpectAsync(Attached);
        Assert.Equal(HasBacklog, attached.GetProperty("flags").GetInt64() & HasBacklog);
        Assert.Equal("2", attached.GetProperty("params").GetProperty("rewind").GetString());
        Assert.Equal(["4", "5"], Datas(await client.ReceiveMessagesAsync(2)));
        await t.PublishOkAsync("feed", """{"data":"6"}""");
        Assert.Equal(["6"], Datas(await client.ReceiveMessagesAsync(1)));

        await client.SendAsync("""{"action":10,"channel":"feed2","params":{"rewind":"1m"}}""");
        await client.ExpectAsync(Attached); // nothing published there: no backlog
        await client.SendAsync("""{"action":12,"channel":"feed"}""");
        await client.ExpectAsync(Detached);
        await client.SendAsync("""{"action":10,"channel":"feed","params":{"rewind":"10s"}}""");
        await client.ExpectAsync(Attached);
        Assert.Equal(["1", "2", "3", "4", "5", "6"], Datas(await client.ReceiveMessagesAsync(6)));

        await client.SendAsync("""{"action":10,"channel":"bad","params":{"rewind":"soon"}}""");
        var error = await client.ExpectAsync(Error);
        Assert.Equal("bad", error.GetProperty("channel").GetString());
        Assert.Equal(40003, error.GetProperty("error").GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task A_dropped_connection_resumes_and_reattaching_with_the_channel_serial_delivers_what_was_missed()
    {
        await using var t = await TestServer.StartAsync();
        (var first, var connected) = await ConnectedAsync(t.Server);
        var connectionId = connected.GetProperty("connectionId").GetString()!;
        var key = connected.GetProperty("connectionDetails").GetProperty("connectionKey").GetString()!;
        await first.SendAsync("""{"action":10,"channel":"c"}""");
        await first.ExpectAsync(Attached);
        await t.PublishOkAsync("c", """{"data":"seen"}""");
        var delivered = await first.ExpectAsync(Message);
        var channelSerial = delivered.GetProperty("channelSerial").GetString()!;

        Assert.Equal(1, t.Server.DisconnectRealtimeClients());
        await first.ExpectClosedAsync();
        await first.DisposeAsync();
        await t.PublishOkAsync("c", """[{"data":"missed-1"},{"data":"missed-2"}]""");

        await using var second = await ConnectAsync(t.Server, KeyQuery() + "&resume=" + Uri.EscapeDataString(key));
        var resumed = await second.ExpectAsync(Connected);
        Assert.Equal(connectionId, resumed.GetProperty("connectionId").GetString());
        Assert.False(resumed.TryGetProperty("error", out _));

        await second.SendAsync("""{"action":10,"channel":"c","channelSerial":""" + JsonSerializer.Serialize(channelSerial) + "}");
        var attached = await second.ExpectAsync(Attached);
        Assert.Equal(Resumed, attached.GetProperty("flags").GetInt64() & Resumed);
        Assert.Equal(["missed-1", "missed-2"], Datas(await second.ReceiveMessagesAsync(2)));
        await t.PublishOkAsync("c", """{"data":"live"}""");
        Assert.Equal(["live"], Datas(await second.ReceiveMessagesAsync(1)));
    }

    [Fact]
    public async Task Resume_of_an_unknown_key_gives_a_new_connection_with_the_reason_and_a_foreign_serial_loses_continuity()
    {
        await using var t = await TestServer.StartAsync();
        await using var client = await ConnectAsync(t.Server, KeyQuery() + "&resume=nope!nope");
        var connected = await client.ExpectAsync(Connected);
        Assert.Equal(80008, connected.GetProperty("error").GetProperty("code").GetInt32());

        await t.PublishOkAsync("c", """{"data":"old"}""");
        await client.SendAsync("""{"action":10,"channel":"c","channelSerial":"zzzz:7"}""");
        var attached = await client.ExpectAsync(Attached);
        Assert.Equal(0, attached.GetProperty("flags").GetInt64() & Resumed);
        Assert.Equal(80008, attached.GetProperty("error").GetProperty("code").GetInt32());
        await client.ExpectQuietAsync(TimeSpan.FromMilliseconds(300)); // continues from now: "old" is not replayed
    }

    [Fact]
    public async Task Publishing_over_realtime_is_acknowledged_stored_echoed_once_and_presence_is_refused()
    {
        await using var t = await TestServer.StartAsync();
        (var client, var connected) = await ConnectedAsync(t.Server);
        await using var owned = client;
        await client.SendAsync("""{"action":10,"channel":"chat"}""");
        await client.ExpectAsync(Attached);

        const string publish = """{"action":15,"channel":"chat","msgSerial":0,"messages":[{"name":"hi","data":"there","action":0,"size":5}]}""";
        await client.SendAsync(publish);
        await client.SendAsync(publish); // resent after a resume: acknowledged, not published twice
        int acks = 0, delivered = 0;
        while (acks < 2 || delivered < 1)
        {
            var message = (await client.ReceiveAsync(TimeSpan.FromSeconds(10)))!.Value;
            switch (message.GetProperty("action").GetInt32())
            {
                case Ack:
                    Assert.Equal(0, message.GetProperty("msgSerial").GetInt64());
                    acks++;
                    break;
                case Message:
                    var echoed = Assert.Single(message.GetProperty("messages").EnumerateArray());
                    Assert.Equal("there", echoed.GetProperty("data").GetString());
                    Assert.Equal(connected.GetProperty("connectionId").GetString(), echoed.GetProperty("connectionId").GetString());
                    delivered++;
                    break;
            }
        }

        var stored = Assert.Single(t.Server.GetMessages("chat"));
        Assert.Equal(PublishKind.Realtime, stored.Kind);

        await client.SendAsync("""{"action":14,"channel":"chat","msgSerial":1,"presence":[{"action":2}]}""");
        var nack = await client.ExpectAsync(Nack);
        Assert.Equal(1, nack.GetProperty("msgSerial").GetInt64());
        Assert.Contains("PRESENCE", nack.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Close_is_answered_with_closed_and_the_connection_cannot_be_resumed()
    {
        await using var t = await TestServer.StartAsync();
        (var client, var connected) = await ConnectedAsync(t.Server);
        var key = connected.GetProperty("connectionDetails").GetProperty("connectionKey").GetString()!;
        await client.SendAsync("""{"action":7}""");
        await client.ExpectAsync(Closed);
        await client.ExpectClosedAsync();
        Assert.Equal(WebSocketState.CloseReceived, client.State);
        await client.DisposeAsync();

        await using var again = await ConnectAsync(t.Server, KeyQuery() + "&resume=" + Uri.EscapeDataString(key));
        var reconnected = await again.ExpectAsync(Connected);
        Assert.NotEqual(connected.GetProperty("connectionId").GetString(), reconnected.GetProperty("connectionId").GetString());
        Assert.Equal(80008, reconnected.GetProperty("error").GetProperty("code").GetInt32());
    }
}
