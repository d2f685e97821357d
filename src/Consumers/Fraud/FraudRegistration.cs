using GlobalCommerce.Platform.Messaging.Outbox;
using GlobalCommerce.Platform;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GlobalCommerce.Consumers.Fraud;

public static class FraudRegistration
{
    public static IBusRegistrationConfigurator AddFraud(this IBusRegistrationConfigurator bus, IConfiguration configuration, CommerceOptions options)
    {
        var fraudOptions = new FraudOptions();
        configuration.GetSection(FraudOptions.Section).Bind(fraudOptions);
        bus.TryAddSingleton(fraudOptions);
        bus.AddDomainConsumers<FraudDbContext>(configuration, options, "fraud")
            .Consumer<AssessFraudConsumer>(sharesCommits: true);
        return bus;
    }
}
