using GlobalCommerce.Platform.Messaging.Outbox;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Streams;
using MassTransit;
using Microsoft.Extensions.Configuration;

namespace GlobalCommerce.Consumers.Notifications;

public static class NotificationsRegistration
{
    public const string ConsumerGroup = "notifications";

    public static IBusRegistrationConfigurator AddNotifications(this IBusRegistrationConfigurator bus, IConfiguration configuration, CommerceOptions options)
    {
        bus.AddDomainConsumers<NotificationsDbContext>(configuration, options, "notifications")
            .Consumer<EraseNotificationDataConsumer>();
        var streams = bus.AddCommerceStreams(configuration, options);
        streams.TopicEndpoint<NotificationsDbContext>(StreamNames.InventoryEvents, ConsumerGroup, e => e.Consumer<ReorderNoticeOnReorderPointReachedConsumer>());
        // The customer's order notices come from the order's lifecycle facts. A quarter of a second is nothing to someone
        // waiting for an e-mail, and the group's partitions then share a transaction or two a second instead of one
        // each per batch.
        streams.TopicEndpoint<NotificationsDbContext>(StreamNames.OrderEvents, ConsumerGroup, e =>
        {
            e.BatchTimeLimit = configuration.GetValue<TimeSpan?>("Commerce:Notifications:BatchTimeLimit") ?? TimeSpan.FromMilliseconds(250);
            e.CommitTogether = true;
            e.Consumer<CustomerNoticesOnOrderEventsConsumer>();
        });
        return bus;
    }
}
