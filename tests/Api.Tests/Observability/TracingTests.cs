using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GlobalCommerce.Api.Tests.Orders;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace GlobalCommerce.Api.Tests.Observability;

public sealed class TracingTests : IDisposable
{
    // MassTransit 8.5 names a consume "<queue> process"; the saga's carry the state it left and the one it entered.
    static readonly string[] Consumers =
        ["reserve-inventory process", "assess-fraud process", "charge-payment process", "create-shipment process"];

    static readonly string[] SagaSteps =
        ["Initial>Pending", "Pending>AwaitingFraudCheck", "AwaitingFraudCheck>AwaitingPayment", "AwaitingPayment>Confirmed", "Confirmed>Completed"];

    readonly ApiFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task An_order_is_one_trace_from_the_http_request_through_every_consumer()
    {
        // The listener hears every host in the test process, so the order's request carries a trace id of our own choosing.
        var traceId = ActivityTraceId.CreateRandom();
        var inTrace = new ConcurrentQueue<Activity>();
        var sagaActivities = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.TraceId == traceId)
                    inTrace.Enqueue(activity);
                if (activity.GetTagItem("messaging.masstransit.saga_id") is not null)
                    sagaActivities.Enqueue(activity);
            },
        };
        ActivitySource.AddActivityListener(listener);
        var client = await _factory.CreateShopperClientAsync();

        var callerSpanId = ActivitySpanId.CreateRandom();
        var orderId = await SubmitAsync(client, traceId, callerSpanId);
        await _factory.WaitForOrderStateAsync(client, orderId, "Completed");

        var trace = await WaitForAsync(inTrace, activities => Consumers.All(name => activities.Any(a => a.DisplayName == name))
            && SagaSteps.All(step => activities.Any(a => Step(a) == step)));
        var request = Assert.Single(trace, a => a.OperationName == "Microsoft.AspNetCore.Hosting.HttpRequestIn");
        Assert.Equal(callerSpanId, request.ParentSpanId);
        Assert.Single(trace, a => a.DisplayName == "order-state process" && Step(a) == "Initial>Pending");
        // No step of this order started a trace of its own (a lost traceparent would).
        var orderSaga = sagaActivities.Where(a => Equals(a.GetTagItem("messaging.masstransit.saga_id"), orderId.ToString())).ToList();
        Assert.Equal(SagaSteps.Order(), orderSaga.Select(Step).OfType<string>().Distinct().Order());
        Assert.All(orderSaga, a => Assert.Equal(traceId, a.TraceId));
    }

    [Fact]
    public async Task The_exported_trace_holds_the_request_the_saga_every_consumer_and_their_database_commands()
    {
        var traceId = ActivityTraceId.CreateRandom();
        var exported = new ConcurrentQueue<Activity>();
        // The OTLP exporter is configured (nothing listens on the port; export failures are the SDK's to swallow), and a
        // processor of our own sees every span the SDK records, as the exporter would.
        using var otlp = new ApiFactory(new Dictionary<string, string?>
        {
            ["Commerce:Telemetry:Exporter"] = "otlp",
            ["Commerce:Telemetry:OtlpEndpoint"] = "http://127.0.0.1:9",
        });
        var client = otlp.WithWebHostBuilder(host => host.ConfigureServices(services =>
                services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddProcessor(new Collect(traceId, exported)))))
            .CreateClient();
        await ApiFactory.RegisterShopperAsync(client);

        var orderId = await SubmitAsync(client, traceId, ActivitySpanId.CreateRandom());
        await otlp.WaitForOrderStateAsync(client, orderId, "Completed");

        var trace = await WaitForAsync(exported, spans => Consumers.All(name => spans.Any(s => s.DisplayName == name))
            && SagaSteps.All(step => spans.Any(s => Step(s) == step)));
        var request = Assert.Single(trace, s => s.Kind == ActivityKind.Server);
        Assert.Equal("POST", request.GetTagItem("http.request.method"));
        Assert.Equal("/api/orders/", request.GetTagItem("http.route"));
        Assert.Contains(trace, s => s.Source.Name == "OpenTelemetry.Instrumentation.EntityFrameworkCore" && s.ParentSpanId != default);
    }

    static async Task<Guid> SubmitAsync(HttpClient client, ActivityTraceId traceId, ActivitySpanId callerSpanId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders")
        {
            Content = JsonContent.Create(OrderRequestsFor.Body(OrderRequestsFor.Plentiful.Id)),
        };
        request.Headers.Add("traceparent", $"00-{traceId}-{callerSpanId}-01");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid();
    }

    static string? Step(Activity activity) =>
        activity.GetTagItem("messaging.masstransit.begin_state") is string from && activity.GetTagItem("messaging.masstransit.end_state") is string to
            ? $"{from}>{to}"
            : null;

    // A consume's span ends a moment after the saga row it wrote becomes visible, so the last spans may trail the state.
    static async Task<List<Activity>> WaitForAsync(ConcurrentQueue<Activity> activities, Func<List<Activity>, bool> complete)
    {
        var until = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var snapshot = activities.ToList();
            if (complete(snapshot))
                return snapshot;
            if (DateTime.UtcNow > until)
            {
                Assert.Fail($"The trace is incomplete; it holds: {string.Join(", ", snapshot.Select(a => $"{a.DisplayName} [{Step(a)}]"))}");
            }

            await Task.Delay(50);
        }
    }

    sealed class Collect(ActivityTraceId traceId, ConcurrentQueue<Activity> spans) : BaseProcessor<Activity>
    {
        public override void OnEnd(Activity data)
        {
            if (data.TraceId == traceId)
                spans.Enqueue(data);
        }
    }
}
