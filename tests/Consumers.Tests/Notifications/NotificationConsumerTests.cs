using GlobalCommerce.Consumers.Notifications;
using GlobalCommerce.Consumers.Tests.Support;
using GlobalCommerce.Consumers.Tests.Vendors;
using GlobalCommerce.Contracts.Notifications;
using GlobalCommerce.Platform;
using Microsoft.EntityFrameworkCore;
using Facts = GlobalCommerce.Contracts.Streams;

namespace GlobalCommerce.Consumers.Tests.Notifications;

// The "notifications" group on order-events: one confirmation and one shipment notice per order, however often and in
// whatever batches the facts are read.
public class NotificationConsumerTests
{
    static Task<ConsumerTestHost> StartAsync(DatabaseProvider provider) =>
        ConsumerTestHost.StartAsync(provider, (bus, configuration, options) => bus.AddNotifications(configuration, options));

    internal static Facts.OrderConfirmed Confirmed(Guid orderId, Guid customerId, decimal total = 378.90m) => new()
    {
        OrderId = orderId,
        CustomerId = customerId,
        Total = total,
        Currency = "EUR",
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
        var confirmed = StreamEvents.Event(Confirmed(orderId, customerId), orderId.ToString());

        // A copy in the same batch (a relay that produced it twice), then the batch read again (after a crash).
        await host.ConsumeAsync<CustomerNoticesOnOrderEventsConsumer, Facts.OrderConfirmed>(confirmed, confirmed);
        await host.ConsumeAsync<CustomerNoticesOnOrderEventsConsumer, Facts.OrderConfirmed>(confirmed);

        var message = Assert.Single(await MessagesAsync(host));
        Assert.Equal((orderId, "order-confirmation", "email", customerId.ToString()), (message.SubjectId, message.Kind, message.Channel, message.Recipient));
        Assert.Contains("378.90 EUR", message.Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Shipment_notice_goes_to_the_customer_of_the_completed_order_once(DatabaseProvider provider)
    {
        await using var host = await StartAsync(provider);
        var orderId = Guid.NewGuid();
        var customerId = Guid.NewGuid();
        var completed = StreamEvents.Event(new Facts.OrderCompleted
        {
            OrderId = orderId, CustomerId = customerId, TrackingNumber = "GC123456789012", CompletedAt = DateTimeOffset.UtcNow,
        }, orderId.ToString());

        await host.ConsumeAsync<CustomerNoticesOnOrderEventsConsumer, Facts.OrderCompleted>(completed, completed);
        await host.ConsumeAsync<CustomerNoticesOnOrderEventsConsumer, Facts.OrderCompleted>(completed);

        var notice = Assert.Single(await MessagesAsync(host));
        Assert.Equal(("shipment-notice", customerId.ToString()), (notice.Kind, notice.Recipient));
        Assert.Contains("GC123456789012", notice.Body, StringComparison.Ordinal);
    }

    // Facts written before they named the customer: the shipment notice goes to whoever the confirmation went to.
    [Fact]
    public async Task An_older_completed_fact_without_its_customer_is_addressed_like_the_confirmation()
    {
        await using var host = await StartAsync(DatabaseProvider.Sqlite);
        var orderId = Guid.NewGuid();
        var customerId = Guid.NewGuid();
        await host.ConsumeAsync<CustomerNoticesOnOrderEventsConsumer, Facts.OrderConfirmed>(
            StreamEvents.Event(Confirmed(orderId, customerId), orderId.ToString()));

        await host.ConsumeAsync<CustomerNoticesOnOrderEventsConsumer, Facts.OrderCompleted>(
            StreamEvents.Event(new Facts.OrderCompleted { OrderId = orderId, CompletedAt = DateTimeOffset.UtcNow }, orderId.ToString()));

        var notice = Assert.Single(await MessagesAsync(host), m => m.Kind == "shipment-notice");
        Assert.Equal(customerId.ToString(), notice.Recipient);
    }
}
