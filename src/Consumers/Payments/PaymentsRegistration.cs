using GlobalCommerce.Platform.Messaging.Outbox;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Persistence;
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
        bus.TryAddSingleton<SandboxPaymentGateway>();
        bus.TryAddSingleton<IPaymentGateway>(sp => sp.GetRequiredService<SandboxPaymentGateway>());
        bus.AddDomainConsumers<PaymentsDbContext>(configuration, options, "payments")
            .Consumer<ChargePaymentConsumer>()
            .Consumer<RefundPaymentConsumer>()
            .Consumer<CheckPaymentConsumer>()
            .Consumer<ErasePaymentDataConsumer>();
        return bus;
    }
}
