using GlobalCommerce.Consumers.Payments;
using GlobalCommerce.Contracts.Payments;
using GlobalCommerce.Platform;

namespace GlobalCommerce.Consumers.Tests.Payments;

public class CheckPaymentConsumerTests
{
    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task A_charge_that_never_reached_the_gateway_is_voided_and_a_late_charge_is_refunded(DatabaseProvider provider)
    {
        await using var host = await PaymentsTestHost.StartAsync(provider);
        var orderId = Guid.NewGuid();
        await host.SaveAsync<PaymentsDbContext>(new Payment { OrderId = orderId, Amount = 80m, Currency = "EUR", Status = PaymentStatus.Unknown });

        await host.CheckAsync(orderId);
        await host.WaitForPublishedAsync<PaymentNotCharged>(m => m.OrderId == orderId);
        Assert.Equal(PaymentStatus.Voided, (await host.PaymentAsync(orderId)).Status);

        // The hung charge finally gets through: the money goes straight back, and no PaymentCompleted is published.
        await host.Sandbox().ChargeAsync(new GatewayCharge(orderId.ToString(), 80m, "EUR", "tok_visa"), CancellationToken.None);
        await host.ChargeAsync(orderId, "tok_visa", 80m);
        await host.WaitForPublishedAsync<PaymentDeclined>(m => m.OrderId == orderId);
        Assert.Equal(PaymentStatus.Refunded, (await host.PaymentAsync(orderId)).Status);
        Assert.Empty(host.Published<PaymentCompleted>());
    }

    [Fact]
    public async Task A_charge_the_gateway_made_but_never_reported_is_settled_as_completed()
    {
        await using var host = await PaymentsTestHost.StartAsync(DatabaseProvider.Sqlite);
        var orderId = Guid.NewGuid();
        var charged = await host.Sandbox().ChargeAsync(new GatewayCharge(orderId.ToString(), 80m, "EUR", "tok_visa"), CancellationToken.None);
        await host.SaveAsync<PaymentsDbContext>(new Payment { OrderId = orderId, Amount = 80m, Currency = "EUR", Status = PaymentStatus.Unknown });

        await host.CheckAsync(orderId);

        var completed = (await host.WaitForPublishedAsync<PaymentCompleted>(m => m.OrderId == orderId))[0];
        Assert.Equal(charged.Reference, completed.GatewayReference);
        var payment = await host.PaymentAsync(orderId);
        Assert.Equal((PaymentStatus.Succeeded, charged.Reference), (payment.Status, payment.GatewayReference));
        Assert.Equal(1, host.Sandbox().ChargeCount);
    }

    [Fact]
    public async Task A_check_before_any_charge_leaves_a_tombstone_so_the_late_command_takes_no_money()
    {
        await using var host = await PaymentsTestHost.StartAsync(DatabaseProvider.Sqlite);
        var orderId = Guid.NewGuid();

        await host.CheckAsync(orderId);
        await host.WaitForPublishedAsync<PaymentNotCharged>(m => m.OrderId == orderId);
        await host.ChargeAsync(orderId, "tok_visa", 80m);
        await host.WaitForPublishedAsync<PaymentDeclined>(m => m.OrderId == orderId);

        Assert.Equal(0, host.Sandbox().ChargeCount);
        Assert.Equal(PaymentStatus.Voided, (await host.PaymentAsync(orderId)).Status);
    }

    [Fact]
    public async Task A_settled_payment_is_reported_again_without_asking_the_gateway()
    {
        await using var host = await PaymentsTestHost.StartAsync(DatabaseProvider.Sqlite);
        var orderId = Guid.NewGuid();
        await host.ChargeAsync(orderId, "tok_chargeDeclined", 80m);
        await host.WaitForPublishedAsync<PaymentDeclined>(m => m.OrderId == orderId);

        await host.CheckAsync(orderId);

        var declined = await host.WaitForPublishedAsync<PaymentDeclined>(m => m.OrderId == orderId, 2);
        Assert.All(declined, m => Assert.Equal("card_declined", m.Reason));
        Assert.Empty(host.Published<PaymentNotCharged>());
    }
}
