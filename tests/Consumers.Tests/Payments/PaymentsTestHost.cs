using GlobalCommerce.Consumers.Payments;
using GlobalCommerce.Consumers.Tests.Support;
using GlobalCommerce.Contracts.Payments;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Messaging;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Consumers.Tests.Payments;

static class PaymentsTestHost
{
    public static Task<ConsumerTestHost> StartAsync(DatabaseProvider provider, TimeSpan? gatewayTimeout = null, int concurrentMessageLimit = 0,
        IPaymentGateway? gateway = null) =>
        ConsumerTestHost.StartAsync(provider, (bus, configuration, options) =>
            {
                // Registered first, it takes the sandbox's place.
                if (gateway is not null)
                    bus.AddSingleton(gateway);
                bus.AddPayments(configuration, options);
            },
            new Dictionary<string, string?> { ["Commerce:Payments:GatewayTimeout"] = (gatewayTimeout ?? TimeSpan.FromSeconds(10)).ToString() },
            concurrentMessageLimit);

    public static SandboxPaymentGateway Sandbox(this ConsumerTestHost host) => host.Services.GetRequiredService<SandboxPaymentGateway>();

    public static Task ChargeAsync(this ConsumerTestHost host, Guid orderId, string token, decimal amount = 129.90m) =>
        host.SendAsync(QueueNames.ChargePayment, new ChargePayment { OrderId = orderId, Amount = amount, Currency = "EUR", PaymentToken = token });

    public static Task RefundAsync(this ConsumerTestHost host, Guid orderId) =>
        host.SendAsync(QueueNames.RefundPayment, new RefundPayment { OrderId = orderId, Reason = "Order cancelled" });

    public static Task CheckAsync(this ConsumerTestHost host, Guid orderId) =>
        host.SendAsync(QueueNames.CheckPayment, new CheckPayment { OrderId = orderId });

    public static Task<List<Payment>> PaymentsAsync(this ConsumerTestHost host) =>
        host.QueryAsync<PaymentsDbContext, List<Payment>>(db => db.Payments.AsNoTracking().ToListAsync());

    public static async Task<Payment> PaymentAsync(this ConsumerTestHost host, Guid orderId) =>
        Assert.Single(await host.PaymentsAsync(), p => p.OrderId == orderId);
}
