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
        bus.TryAddSingleton(TimeProvider.System);
        // The sandbox is the default; a real gateway registered before this call takes precedence.
        bus.TryAddSingleton<SandboxPaymentGateway>();
        bus.TryAddSingleton<IPaymentGateway>(sp => sp.GetRequiredService<SandboxPaymentGateway>());
        bus.AddDomainDbContext<PaymentsDbContext>(options, "payments");
        bus.AddConsumer<ChargePaymentConsumer>();
        bus.AddConsumer<RefundPaymentConsumer>();
        bus.AddConsumer<CheckPaymentConsumer>();
        bus.AddConsumer<ErasePaymentDataConsumer>();
        var names = KebabCaseEndpointNameFormatter.Instance;
        bus.AddTransactionalOutbox<PaymentsDbContext>(configuration,
            names.Consumer<ChargePaymentConsumer>(), names.Consumer<RefundPaymentConsumer>(), names.Consumer<CheckPaymentConsumer>(),
            names.Consumer<ErasePaymentDataConsumer>());
        return bus;
    }
}
