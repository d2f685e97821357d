using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GlobalCommerce.Consumers.Notifications;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Api.Tests.Orders;

// The embedded default end to end: the saga writes an order's lifecycle facts to order-events, and the notifications
// group turns the confirmed and the completed order into one message each for its customer.
public sealed class OrderNoticesTests : IDisposable
{
    readonly ApiFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task A_completed_order_tells_its_customer_once_that_it_is_confirmed_and_once_that_it_shipped()
    {
        var shopper = await _factory.CreateShopperClientAsync();
        var response = await shopper.PostAsJsonAsync("/api/orders", OrderRequestsFor.Body(OrderRequestsFor.Plentiful.Id, paymentToken: "tok_visa"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var orderId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid();
        var order = await _factory.WaitForOrderStateAsync(shopper, orderId, "Completed");

        var notices = await WaitForNoticesAsync(orderId, 2);
        // A while longer: a fact handled twice would show up late.
        await Task.Delay(TimeSpan.FromSeconds(1));
        notices = await WaitForNoticesAsync(orderId, 2);

        Assert.Equal(["order-confirmation", "shipment-notice"], notices.Select(n => n.Kind).Order());
        var customer = order.GetProperty("customerId").GetGuid().ToString();
        Assert.All(notices, n => Assert.Equal((customer, "email"), (n.Recipient, n.Channel)));
        Assert.Contains(order.GetProperty("total").GetDecimal().ToString("0.00", System.Globalization.CultureInfo.InvariantCulture),
            notices.Single(n => n.Kind == "order-confirmation").Body, StringComparison.Ordinal);
        Assert.Contains(order.GetProperty("trackingNumber").GetString()!, notices.Single(n => n.Kind == "shipment-notice").Body, StringComparison.Ordinal);
    }

    async Task<List<OutboundMessage>> WaitForNoticesAsync(Guid orderId, int count)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            await using var scope = _factory.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<NotificationsDbContext>();
            var notices = await db.OutboundMessages.AsNoTracking().Where(m => m.SubjectId == orderId).ToListAsync();
            if (notices.Count >= count || DateTime.UtcNow > until)
                return notices;
            await Task.Delay(100);
        }
    }
}
