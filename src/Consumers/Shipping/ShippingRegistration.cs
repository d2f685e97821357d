using GlobalCommerce.Platform.Messaging.Outbox;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Persistence;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GlobalCommerce.Consumers.Shipping;

public static class ShippingRegistration
{
    public static IBusRegistrationConfigurator AddShipping(this IBusRegistrationConfigurator bus, IConfiguration configuration, CommerceOptions options)
    {
        bus.TryAddSingleton(TimeProvider.System);
        bus.AddDomainDbContext<ShippingDbContext>(options, "shipping");
        bus.AddConsumer<CreateShipmentConsumer>();
        bus.AddConsumer<CancelShipmentConsumer>();
        bus.AddConsumer<EraseShippingDataConsumer>();
        var names = KebabCaseEndpointNameFormatter.Instance;
        bus.AddTransactionalOutbox<ShippingDbContext>(configuration, names.Consumer<CreateShipmentConsumer>(), names.Consumer<CancelShipmentConsumer>(),
            names.Consumer<EraseShippingDataConsumer>());
        return bus;
    }
}
