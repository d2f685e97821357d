using GlobalCommerce.Platform.Messaging.Outbox;
using GlobalCommerce.Platform;
using MassTransit;
using Microsoft.Extensions.Configuration;

namespace GlobalCommerce.Consumers.Notifications;

public static class NotificationsRegistration
{
    public static IBusRegistrationConfigurator AddNotifications(this IBusRegistrationConfigurator bus, IConfiguration configuration, CommerceOptions options)
    {
        bus.AddDomainConsumers<NotificationsDbContext>(configuration, options, "notifications")
            .Consumer<ConfirmationOnOrderConfirmedConsumer>()
            .Consumer<ShipmentNoticeOnOrderCompletedConsumer>()
            .Consumer<EraseNotificationDataConsumer>();
        return bus;
    }
}
