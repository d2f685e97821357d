using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net.Http.Json;
using System.Text.Json;
using GlobalCommerce.Api.Tests.Orders;
using GlobalCommerce.Platform.Messaging.Outbox;
using GlobalCommerce.Platform.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Api.Tests.Observability;

public sealed class MetricsTests : IDisposable
{
    readonly ApiFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task The_orders_by_state_gauge_reports_a_completed_order()
    {
        var client = await _factory.CreateShopperClientAsync();
        var orderId = await SubmitAsync(client);
        await _factory.WaitForOrderStateAsync(client, orderId, "Completed");

        // Only this host's gauge (its meter comes from this host's meter factory): other tests' hosts count other databases.
        var meters = _factory.Services.GetRequiredService<IMeterFactory>();
        var byState = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, meterListener) =>
            {
                if (instrument.Meter.Scope == meters && instrument.Meter.Name == CommerceTelemetry.MeterName && instrument.Name == "gc.orders.by_state")
                    meterListener.EnableMeasurementEvents(instrument);
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            byState[(string)tags.ToArray().Single(tag => tag.Key == "gc.order.state").Value!] = value);
        listener.Start();

        // Another host's OpenTelemetry SDK in this process (it listens by meter name) may have read the gauge while the
        // order was under way; the cached counts then stand for up to 10 s.
        var until = DateTime.UtcNow.AddSeconds(15);
        do
        {
            byState.Clear();
            listener.RecordObservableInstruments();
            if (byState.TryGetValue("Completed", out _))
                break;
            await Task.Delay(200);
        }
        while (DateTime.UtcNow < until);

        Assert.Equal(new Dictionary<string, long> { ["Completed"] = 1 }, byState);
    }

    [Fact]
    public async Task An_accepted_order_is_counted_and_each_of_its_steps_timed()
    {
        // These instruments are static, shared by every host in the process: other tests' orders add to them too, so
        // this asserts that ours were recorded, not exact totals.
        var submitted = 0L;
        var steps = new ConcurrentBag<(string From, string To, double Seconds)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, meterListener) =>
            {
                if (instrument.Meter.Name == CommerceTelemetry.MeterName && instrument.Name is "gc.orders.submitted" or "gc.order.step.duration")
                    meterListener.EnableMeasurementEvents(instrument);
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref submitted, value));
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            var all = tags.ToArray();
            steps.Add(((string)all.Single(t => t.Key == "gc.order.from_state").Value!, (string)all.Single(t => t.Key == "gc.order.to_state").Value!, value));
        });
        listener.Start();
        var client = await _factory.CreateShopperClientAsync();

        var orderId = await SubmitAsync(client);
        await _factory.WaitForOrderStateAsync(client, orderId, "Completed");

        Assert.True(Interlocked.Read(ref submitted) >= 1);
        var recorded = steps.ToList();
        Assert.All(
            new[] { ("Initial", "Pending"), ("Pending", "AwaitingFraudCheck"), ("AwaitingFraudCheck", "AwaitingPayment"), ("AwaitingPayment", "Confirmed"), ("Confirmed", "Completed") },
            step => Assert.Contains(recorded, r => (r.From, r.To) == step));
        Assert.All(recorded, r => Assert.InRange(r.Seconds, 0, 60));
    }

    [Fact]
    public async Task Outbox_lag_is_recorded_for_the_api_and_for_every_domain_that_sends()
    {
        // Static instruments shared by every host in the process: assert that ours appeared and are sane, not totals.
        var lags = new ConcurrentBag<(string Outbox, string Database, double Seconds)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, meterListener) =>
            {
                if (instrument.Meter.Name == CommerceTelemetry.MeterName && instrument.Name == OutboxMetrics.DeliveryLag)
                    meterListener.EnableMeasurementEvents(instrument);
            },
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            var all = tags.ToArray();
            lags.Add(((string)all.Single(t => t.Key == "gc.outbox").Value!, (string)all.Single(t => t.Key == "gc.outbox.database").Value!, value));
        });
        listener.Start();
        var client = await _factory.CreateShopperClientAsync();

        var orderId = await SubmitAsync(client);
        await _factory.WaitForOrderStateAsync(client, orderId, "Completed");

        var recorded = lags.ToList();
        Assert.Contains(recorded, l => l is { Outbox: "bus", Database: "OrderDbContext" });
        // The saga (orders) and each consumer domain on the order's path send through their own outbox.
        Assert.All(new[] { "OrderDbContext", "InventoryDbContext", "FraudDbContext", "PaymentsDbContext", "ShippingDbContext" },
            database => Assert.Contains(recorded, l => l.Outbox == "consume" && l.Database == database));
        Assert.All(recorded, l => Assert.InRange(l.Seconds, 0, 60));
    }

    static async Task<Guid> SubmitAsync(HttpClient client)
    {
        var response = await client.PostAsJsonAsync("/api/orders", OrderRequestsFor.Body(OrderRequestsFor.Plentiful.Id));
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid();
    }
}
