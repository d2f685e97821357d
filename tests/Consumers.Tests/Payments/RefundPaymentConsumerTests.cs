using GlobalCommerce.Consumers.Payments;
using GlobalCommerce.Contracts.Payments;
using GlobalCommerce.Platform;

namespace GlobalCommerce.Consumers.Tests.Payments;

public class RefundPaymentConsumerTests
{
    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Refund_of_a_succeeded_payment_gives_the_money_back_once(DatabaseProvider provider)
    {
        await using var host = await PaymentsTestHost.StartAsync(provider);
        var orderId = Guid.NewGuid();
        await host.ChargeAsync(orderId, "tok_visa", 59.99m);
        await host.WaitForPublishedAsync<PaymentCompleted>(m => m.OrderId == orderId);

        await host.RefundAsync(orderId);
        var refunded = (await host.WaitForPublishedAsync<PaymentRefunded>(m => m.OrderId == orderId))[0];
        await host.RefundAsync(orderId);
        await host.WaitForPublishedAsync<PaymentRefunded>(m => m.OrderId == orderId, 2);

        Assert.Equal((59.99m, "EUR"), (refunded.Amount, refunded.Currency));
        Assert.Equal(PaymentStatus.Refunded, (await host.PaymentAsync(orderId)).Status);
        Assert.Equal((1, 1), (host.Sandbox().ChargeCount, host.Sandbox().RefundCount));
    }

    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Refund_before_charge_voids_the_payment_so_a_late_charge_takes_no_money(DatabaseProvider provider)
    {
        await using var host = await PaymentsTestHost.StartAsync(provider);
        var orderId = Guid.NewGuid();

        await host.RefundAsync(orderId);
        await host.WaitForConsumedAsync<RefundPayment>(m => m.OrderId == orderId);
        Assert.Equal(PaymentStatus.Voided, (await host.PaymentAsync(orderId)).Status);

        await host.ChargeAsync(orderId, "tok_visa");

        var declined = (await host.WaitForPublishedAsync<PaymentDeclined>(m => m.OrderId == orderId))[0];
        Assert.Equal("voided", declined.Reason);
        Assert.Empty(host.Published<PaymentCompleted>());
        Assert.Equal(0, host.Sandbox().ChargeCount);
        Assert.Equal(PaymentStatus.Voided, (await host.PaymentAsync(orderId)).Status);
    }

    [Fact]
    public async Task Refund_of_an_unknown_payment_refunds_a_charge_the_gateway_made()
    {
        await using var host = await PaymentsTestHost.StartAsync(DatabaseProvider.Sqlite);
        var orderId = Guid.NewGuid();
        // The gateway charged, but its answer never reached us.
        await host.Sandbox().ChargeAsync(new GatewayCharge(orderId.ToString(), 80m, "EUR", "tok_visa"), CancellationToken.None);
        await host.SaveAsync<PaymentsDbContext>(new Payment { OrderId = orderId, Amount = 80m, Currency = "EUR", Status = PaymentStatus.Unknown });

        await host.RefundAsync(orderId);

        await host.WaitForPublishedAsync<PaymentRefunded>(m => m.OrderId == orderId);
        Assert.Equal(PaymentStatus.Refunded, (await host.PaymentAsync(orderId)).Status);
        Assert.Equal(1, host.Sandbox().RefundCount);
    }

    [Fact]
    public async Task Refund_of_an_unknown_payment_the_gateway_never_charged_voids_it()
    {
        await using var host = await PaymentsTestHost.StartAsync(DatabaseProvider.Sqlite);
        var orderId = Guid.NewGuid();
        await host.SaveAsync<PaymentsDbContext>(new Payment { OrderId = orderId, Amount = 80m, Currency = "EUR", Status = PaymentStatus.Unknown });

        await host.RefundAsync(orderId);
        await host.WaitForConsumedAsync<RefundPayment>(m => m.OrderId == orderId);

        Assert.Equal(PaymentStatus.Voided, (await host.PaymentAsync(orderId)).Status);
        Assert.Empty(host.Published<PaymentRefunded>());
        Assert.Equal(0, host.Sandbox().RefundCount);
    }

    [Fact]
    public async Task A_charge_that_lands_after_the_void_is_given_back()
    {
        await using var host = await PaymentsTestHost.StartAsync(DatabaseProvider.Sqlite);
        var orderId = Guid.NewGuid();
        // The refund voided the payment while the gateway was still charging it.
        await host.Sandbox().ChargeAsync(new GatewayCharge(orderId.ToString(), 80m, "EUR", "tok_visa"), CancellationToken.None);
        await host.SaveAsync<PaymentsDbContext>(new Payment { OrderId = orderId, Amount = 80m, Currency = "EUR", Status = PaymentStatus.Voided });

        await host.ChargeAsync(orderId, "tok_visa", 80m);

        Assert.Equal("voided", (await host.WaitForPublishedAsync<PaymentDeclined>(m => m.OrderId == orderId))[0].Reason);
        Assert.Equal(PaymentStatus.Refunded, (await host.PaymentAsync(orderId)).Status);
        Assert.Equal((1, 1), (host.Sandbox().ChargeCount, host.Sandbox().RefundCount));
    }
}
