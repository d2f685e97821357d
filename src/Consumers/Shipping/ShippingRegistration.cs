using GlobalCommerce.Platform.Messaging.Outbox;
using GlobalCommerce.Platform;
using MassTransit;
using Microsoft.Extensions.Configuration;

namespace GlobalCommerce.Consumers.Shipping;

public static class ShippingRegistration
{
    public static IBusRegistrationConfigurator AddShipping(this IBusRegistrationConfigurator bus, IConfiguration configuration, CommerceOptions options)
    {
        bus.AddDomainConsumers<ShippingDbContext>(configuration, options, "shipping")
            .Consumer<CreateShipmentConsumer>(sharesCommits: true)
            .Consumer<CancelShipmentConsumer>(sharesCommits: true)
            .Consumer<EraseShippingDataConsumer>();
        return bus;
    }
}
