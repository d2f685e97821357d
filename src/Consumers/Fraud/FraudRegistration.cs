using GlobalCommerce.Platform.Messaging;
using GlobalCommerce.Platform.Messaging.Outbox;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Persistence;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GlobalCommerce.Consumers.Fraud;

public static class FraudRegistration
{
    public static IBusRegistrationConfigurator AddFraud(this IBusRegistrationConfigurator bus, IConfiguration configuration, CommerceOptions options)
    {
        var fraudOptions = new FraudOptions();
        configuration.GetSection(FraudOptions.Section).Bind(fraudOptions);
        bus.TryAddSingleton(fraudOptions);
        bus.TryAddSingleton(TimeProvider.System);
        bus.AddDomainDbContext<FraudDbContext>(options, "fraud");
        bus.AddConsumer<AssessFraudConsumer>();
        bus.AddTransactionalOutbox<FraudDbContext>(configuration, EndpointNames.Consumer<AssessFraudConsumer>());
        return bus;
    }
}
