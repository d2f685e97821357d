using System.Text.Json;
using GlobalCommerce.Contracts.Erasure;
using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Contracts.Orders;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Messaging;
using GlobalCommerce.Sagas.Orders;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Sagas.Tests.Orders;

public sealed class EraseOrderDataConsumerTests
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Orders_keep_amounts_lines_and_references_and_lose_address_token_and_free_text(DatabaseProvider provider)
    {
        await using var host = await OrderSagaHost.StartAsync(
            bus => bus.AddConsumer<Recorder<CustomerDataErased>>().Endpoint(e => e.Name = "recorded-customer-data-erased"),
            TestDatabases.For(provider));
        var order = OrderSagaHost.NewOrder();
        var cancelled = OrderSagaHost.NewOrder() with { CustomerId = order.CustomerId };
        var someoneElses = OrderSagaHost.NewOrder();
        foreach (var submitted in new[] { order, cancelled, someoneElses })
        {
            await host.SendToSagaAsync(submitted);
            await host.WaitForStateAsync(submitted.OrderId, "Pending");
        }

        await host.PublishAsync(new InventoryReservationFailed { OrderId = order.OrderId, Reason = "none left", UnavailableProductIds = [] });
        await host.WaitForStateAsync(order.OrderId, "Failed");
        await host.SendToSagaAsync(new CancelOrder { OrderId = cancelled.OrderId, Reason = "Sent to Ada at her old flat by mistake", RequestedBy = "customer" });
        await host.WaitForStateAsync(cancelled.OrderId, "Cancelled");
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<OrderDbContext>();
            db.Requests.Add(new OrderRequest
            {
                OrderId = order.OrderId, CustomerId = order.CustomerId, RequestHash = "h", Submission = JsonSerializer.Serialize(order, Json),
                AcceptedAt = order.SubmittedAt,
            });
            await db.SaveChangesAsync();
        }

        var before = (await host.LoadAsync(order.OrderId))!;
        var command = new EraseOrderData { ErasureId = Guid.NewGuid(), CustomerId = order.CustomerId, OrderIds = [order.OrderId, cancelled.OrderId] };
        await (await host.Harness.Bus.GetSendEndpoint(QueueNames.EraseOrderData)).Send(command);
        await WaitForConfirmationsAsync(host, command.ErasureId, 1);

        var erased = (await host.LoadAsync(order.OrderId))!;
        Assert.Equal(new ShippingAddress { Name = "[erased]", Line1 = "[erased]", City = "[erased]", PostalCode = "[erased]", Country = "DE" },
            erased.ShippingAddress);
        Assert.Equal("[erased]", erased.PaymentToken);
        Assert.Equal((before.Total, before.Currency, before.SubmittedAt, before.CurrentState, before.FailureReason),
            (erased.Total, erased.Currency, erased.SubmittedAt, erased.CurrentState, erased.FailureReason));
        Assert.Equal(before.Lines, erased.Lines);
        var cancelledNow = (await host.LoadAsync(cancelled.OrderId))!;
        Assert.Equal("[erased]", cancelledNow.CancellationReason);
        Assert.DoesNotContain(cancelledNow.History, t => t.Detail?.Contains("Ada", StringComparison.Ordinal) == true);
        Assert.Equal("Ada Lovelace", (await host.LoadAsync(someoneElses.OrderId))!.ShippingAddress.Name);
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var request = await scope.ServiceProvider.GetRequiredService<OrderDbContext>().Requests.AsNoTracking().SingleAsync(r => r.OrderId == order.OrderId);
            Assert.DoesNotContain("Ada", request.Submission, StringComparison.Ordinal);
            Assert.DoesNotContain("tok_visa", request.Submission, StringComparison.Ordinal);
            Assert.Equal(order.Total, JsonSerializer.Deserialize<SubmitOrder>(request.Submission, Json)!.Total);
        }

        // Redelivered: confirms again, changes nothing.
        await (await host.Harness.Bus.GetSendEndpoint(QueueNames.EraseOrderData)).Send(command);
        await WaitForConfirmationsAsync(host, command.ErasureId, 2);
        var again = (await host.LoadAsync(order.OrderId))!;
        Assert.Equal((erased.Version, erased.UpdatedAt), (again.Version, again.UpdatedAt));
        Assert.All(host.Recorded<CustomerDataErased>(), m => Assert.Equal(("orders", order.CustomerId), (m.Domain, m.CustomerId)));
    }

    static async Task WaitForConfirmationsAsync(OrderSagaHost host, Guid erasureId, int count)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (host.Recorded<CustomerDataErased>().Count(m => m.ErasureId == erasureId) < count)
        {
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"Expected {count} confirmations of erasure {erasureId}.");
            await Task.Delay(25);
        }
    }
}
