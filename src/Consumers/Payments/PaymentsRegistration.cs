using GlobalCommerce.Platform.Messaging.Outbox;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Platform.Streams;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GlobalCommerce.Consumers.Payments;

public static class PaymentsRegistration
{
    public static IBusRegistrationConfigurator AddPayments(this IBusRegistrationConfigurator bus, IConfiguration configuration, CommerceOptions options)
    {
        var paymentsOptions = new PaymentsOptions();
        configuration.GetSection(PaymentsOptions.Section).Bind(paymentsOptions);
        bus.TryAddSingleton(paymentsOptions);
        // The sandbox is the default; a real gateway registered before this call takes precedence.
        bus.AddSandboxGatewayStorage(options);
        bus.TryAddSingleton<SandboxPaymentGateway>();
        bus.TryAddSingleton<IPaymentGateway>(sp => sp.GetRequiredService<SandboxPaymentGateway>());
        bus.AddDomainConsumers<PaymentsDbContext>(configuration, options, "payments")
            .Consumer<ChargePaymentConsumer>()
            .Consumer<RefundPaymentConsumer>()
            .Consumer<CheckPaymentConsumer>()
            .Consumer<ErasePaymentDataConsumer>();
        bus.AddCommerceStreams(configuration, options)
            .Produce<Contracts.Streams.PaymentProcessed>(StreamNames.PaymentEvents)
            .Produce<Contracts.Streams.PaymentDeclined>(StreamNames.PaymentEvents)
            .Produce<Contracts.Streams.PaymentRefunded>(StreamNames.PaymentEvents)
            .Outbox<PaymentsDbContext>();
        return bus;
    }

    // The gateway is a singleton holding the options and a pool of contexts; each call takes a context of its own. The
    // context is registered too, so the DatabaseInitializer creates its database with every other.
    static void AddSandboxGatewayStorage(this IServiceCollection services, CommerceOptions options)
    {
        if (services.Any(service => service.ServiceType == typeof(SandboxGatewayDbContext)))
            return;
        const string domain = "sandbox_gateway";
        var connectionString = DomainDatabases.ConnectionString(options, domain);
        services.AddDbContext<SandboxGatewayDbContext>(
            db => DomainDatabases.Configure(db, options.DatabaseProvider, connectionString), ServiceLifetime.Scoped, ServiceLifetime.Singleton);
        services.AddSingleton(new DomainDatabase(typeof(SandboxGatewayDbContext), domain, options.DatabaseProvider, connectionString));
    }
}
