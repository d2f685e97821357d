using System.Net.Http.Json;
using System.Text.Json;
using GlobalCommerce.Contracts.Orders;
using GlobalCommerce.Platform.Messaging;
using GlobalCommerce.Platform.Messaging.Outbox;
using GlobalCommerce.Sagas.Orders;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Api.Tests.Orders;

public sealed class BusOutboxTests
{
    [Fact]
    public async Task An_order_stored_but_never_sent_before_a_crash_is_delivered_afterwards()
    {
        using var factory = new ApiFactory();
        // Support staff may read any customer's order.
        var client = await factory.CreateClientAsAsync("support@demo.local");
        var product = OrderRequestsFor.Plentiful;
        var order = new SubmitOrder
        {
            OrderId = NewId.NextGuid(),
            CustomerId = Guid.NewGuid(),
            Lines = [new OrderLine { ProductId = product.Id, Sku = product.Sku, Name = product.Name, Quantity = 1, UnitPrice = product.Price }],
            Total = product.Price,
            Currency = "EUR",
            ShippingAddress = new ShippingAddress { Name = "Ada", Line1 = "1 Main St", City = "Berlin", PostalCode = "10115", Country = "DE" },
            PaymentToken = "tok_visa",
            SubmittedAt = DateTimeOffset.UtcNow,
        };

        // What a request that died right after its commit leaves behind: the accepted order and its unsent message,
        // written without the signal that would wake the delivery service.
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<OrderDbContext>();
            db.Requests.Add(new OrderRequest
            {
                OrderId = order.OrderId,
                CustomerId = order.CustomerId,
                RequestHash = "crash",
                Submission = JsonSerializer.Serialize(order, ApiFactory.Json),
                AcceptedAt = order.SubmittedAt,
            });
            db.Set<BusOutboxMessage>().Add(new BusOutboxMessage
            {
                MessageId = NewId.NextGuid(),
                Destination = QueueNames.OrderSaga.ToString(),
                MessageType = typeof(SubmitOrder).AssemblyQualifiedName!,
                Body = JsonSerializer.Serialize(order, ApiFactory.Json),
                CreatedAt = DateTimeOffset.UtcNow,
            });
            await db.SaveChangesAsync();
        }

        var completed = await factory.WaitForOrderStateAsync(client, order.OrderId, "Completed");

        Assert.Equal(product.Price, completed.GetProperty("total").GetDecimal());
        Assert.Equal(0, await UndeliveredAsync(factory));
    }

    [Fact]
    public async Task An_accepted_order_and_its_message_are_stored_together()
    {
        using var factory = new ApiFactory();
        var client = await factory.CreateShopperClientAsync();

        var response = await client.PostAsJsonAsync("/api/orders", OrderRequestsFor.Body(OrderRequestsFor.Plentiful.Id));
        var orderId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid();

        // The saga starts only through the outbox: reaching Completed proves the stored message was delivered.
        await factory.WaitForOrderStateAsync(client, orderId, "Completed");
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OrderDbContext>();
        Assert.True(await db.Requests.AnyAsync(r => r.OrderId == orderId));
        Assert.Equal(0, await UndeliveredAsync(factory));
    }

    // The rows left in the bus outbox once its delivered marks are written: they are deleted in batches, each a quarter of
    // a second (Outbox:MarkLinger) after the first delivery it holds, which may be after the order has completed.
    static async Task<int> UndeliveredAsync(ApiFactory factory)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            await using var scope = factory.Services.CreateAsyncScope();
            var left = await scope.ServiceProvider.GetRequiredService<OrderDbContext>().Set<BusOutboxMessage>().CountAsync();
            if (left == 0 || DateTime.UtcNow > until)
                return left;
            await Task.Delay(50);
        }
    }
}
