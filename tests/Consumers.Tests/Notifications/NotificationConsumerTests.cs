using GlobalCommerce.Consumers.Notifications;
using GlobalCommerce.Consumers.Tests.Support;
using GlobalCommerce.Contracts.Notifications;
using GlobalCommerce.Contracts.Orders;
using GlobalCommerce.Platform;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Tests.Notifications;

public class NotificationConsumerTests
{
    static Task<ConsumerTestHost> StartAsync(DatabaseProvider provider) =>
        ConsumerTestHost.StartAsync(provider, (bus, configuration, options) => bus.AddNotifications(configuration, options));

    static OrderConfirmed Confirmed(Guid orderId, Guid customerId) => new()
    {
        OrderId = orderId,
        CustomerId = customerId,
        Total = 378.90m,
        Currency = "EUR",
        PaymentReference = "ch_sandbox_0123456789abcdef01234567",
        ConfirmedAt = DateTimeOffset.UtcNow,
    };

    static Task<List<OutboundMessage>> MessagesAsync(ConsumerTestHost host) =>
        host.QueryAsync<NotificationsDbContext, List<OutboundMessage>>(db => db.OutboundMessages.AsNoTracking().ToListAsync());

    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Order_confirmed_twice_records_one_confirmation(DatabaseProvider provider)
    {
        await using var host = await StartAsync(provider);
        var orderId = Guid.NewGuid();
        var customerId = Guid.NewGuid();

        await host.Harness.Bus.Publish(Confirmed(orderId, customerId));
        await host.WaitForConsumedAsync<OrderConfirmed>(m => m.OrderId == orderId);
        await host.Harness.Bus.Publish(Confirmed(orderId, customerId));
        await host.WaitForConsumedAsync<OrderConfirmed>(m => m.OrderId == orderId, 2);

        var message = Assert.Single(await MessagesAsync(host));
        Assert.Equal((orderId, "order-confirmation", "email", customerId.ToString()), (message.SubjectId, message.Kind, message.Channel, message.Recipient));
        Assert.Contains("378.90 EUR", message.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Shipment_notice_goes_to_the_customer_of_the_confirmed_order()
    {
        await using var host = await StartAsync(DatabaseProvider.Sqlite);
        var orderId = Guid.NewGuid();
        var customerId = Guid.NewGuid();
        await host.Harness.Bus.Publish(Confirmed(orderId, customerId));
        await host.WaitForConsumedAsync<OrderConfirmed>(m => m.OrderId == orderId);

        await host.Harness.Bus.Publish(new OrderCompleted { OrderId = orderId, TrackingNumber = "GC123456789012", CompletedAt = DateTimeOffset.UtcNow });

        await host.WaitForConsumedAsync<OrderCompleted>(m => m.OrderId == orderId);
        var notice = Assert.Single(await MessagesAsync(host), m => m.Kind == "shipment-notice");
        Assert.Equal(customerId.ToString(), notice.Recipient);
        Assert.Contains("GC123456789012", notice.Body, StringComparison.Ordinal);
    }
}
