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
            .Consumer<ConfirmationOnOrderConfirmedConsumer>()
            .Consumer<ShipmentNoticeOnOrderCompletedConsumer>()
            .Consumer<EraseNotificationDataConsumer>();
        bus.AddCommerceStreams(configuration, options)
            .TopicEndpoint<NotificationsDbContext>(StreamNames.InventoryEvents, ConsumerGroup, e => e.Consumer<ReorderNoticeOnReorderPointReachedConsumer>());
        return bus;
    }
}
