using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using AblyPgTyped.Observability;
using AblyPgTyped.Tests.Infrastructure;
using AblyPgTyped.Tests.Shared;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Xunit;
using static AblyPgTyped.Tests.Connectors.DeliveryTests;

namespace AblyPgTyped.Tests.Observability;

/// <summary>AddAblyPgInstrumentation() with OpenTelemetry's SDK and in-memory exporters, around a real connector.</summary>
[Collection(PostgresCollection.Name)]
public sealed class OpenTelemetryTests(PostgresFixture postgres)
{
    private static readonly ActivitySource Caller = new("AblyPgTyped.Tests.Caller");

    [Fact]
    public async Task AddAblyPgInstrumentation_exports_the_metrics_and_one_root_producer_span_per_publish_request()
    {
        await using var h = await ConnectorHarness.StartAsync(postgres, Schemas.Users);
        var metrics = new List<Metric>();
        var spans = new List<Activity>();
        using var meterProvider = Sdk.CreateMeterProviderBuilder().AddAblyPgInstrumentation().AddInMemoryExporter(metrics).Build();
        using var tracerProvider = Sdk.CreateTracerProviderBuilder().AddSource(Caller.Name).AddAblyPgInstrumentation().AddInMemoryExporter(spans).Build();

        // Started from inside an activity of the application's: the publish spans must not take it as their parent.
        ActivityTraceId callerTrace;
        using (var starting = Caller.StartActivity("application start"))
        {
            callerTrace = starting!.TraceId;
            await h.StartConnectorAsync(h.Options(AblyPgTables.User));
        }

        await h.ExecuteAsync("""INSERT INTO users SELECT g, 'u' || g, NULL FROM generate_series(1, 3) g""");
        await h.WaitForMessagesAsync(3); // the update then goes in a request of its own, to one destination
        await h.ExecuteAsync("""UPDATE users SET "Bio" = 'b' WHERE "Id" = 2""");
        await h.WaitForMessagesAsync(4);
        await Eventually(() => spans.Count(s => s.Source.Name == AblyPgTelemetry.ActivitySourceName) >= h.Ably.GetStats().BatchPublishRequests);
        meterProvider.ForceFlush();

        var publishes = spans.Where(s => s.Source.Name == AblyPgTelemetry.ActivitySourceName).ToList();
        Assert.Equal(h.Ably.GetStats().BatchPublishRequests, publishes.Count);
        Assert.All(publishes, s =>
        {
            Assert.Equal(ActivityKind.Producer, s.Kind);
            Assert.Equal(default, s.ParentSpanId);
            Assert.NotEqual(callerTrace, s.TraceId);
            Assert.Equal("ably", s.GetTagItem("messaging.system"));
            Assert.Equal("publish", s.GetTagItem("messaging.operation.name"));
            Assert.Equal("accepted", s.GetTagItem(TelemetryNames.Outcome));
            Assert.Equal(ActivityStatusCode.Unset, s.Status);
        });
        Assert.Equal(4, publishes.Sum(s => (int)s.GetTagItem("messaging.batch.message_count")!));
        Assert.Contains(publishes, s => s.DisplayName == "publish users:{Id}" && (string?)s.GetTagItem("messaging.destination.name") == "users:{Id}");

        var exported = metrics.Select(m => m.Name).ToHashSet();
        foreach (var name in new[] { TelemetryNames.OperationDuration, TelemetryNames.SentMessages, TelemetryNames.ChangesRead, TelemetryNames.ChangesPublished, TelemetryNames.Lag,
                     TelemetryNames.Active, TelemetryNames.Health })
        {
            Assert.Contains(name, exported);
        }

        Assert.Equal(3, SumOf(metrics, TelemetryNames.ChangesPublished, "users"));
        Assert.Equal(1, SumOf(metrics, TelemetryNames.ChangesPublished, "users:{Id}"));
    }

    private static long SumOf(List<Metric> metrics, string name, string destination)
    {
        long sum = 0;
        foreach (var metric in metrics.Where(m => m.Name == name))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                foreach (var tag in point.Tags)
                {
                    if (tag.Key == TelemetryNames.Destination && (string?)tag.Value == destination)
                    {
                        sum += point.GetSumLong();
                    }
                }
            }
        }

        return sum;
    }
}
