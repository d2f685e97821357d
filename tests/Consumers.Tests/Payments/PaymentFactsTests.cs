using GlobalCommerce.Consumers.Payments;
using GlobalCommerce.Consumers.Tests.Streams;
using GlobalCommerce.Consumers.Tests.Support;
using GlobalCommerce.Contracts.Payments;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Streams;
using Microsoft.Extensions.DependencyInjection;
using Facts = GlobalCommerce.Contracts.Streams;

namespace GlobalCommerce.Consumers.Tests.Payments;

// payment-events: a fact is written with the status that states it, in the outcome's transaction, and a consumer group
// reads it exactly once; a redelivery, or an attempt that rolled back, adds none.
public class PaymentFactsTests
{
    static Task<ConsumerTestHost> StartAsync(DatabaseProvider provider, IPaymentGateway? gateway = null, FailAfterProduce? failure = null) =>
        FactProbe.StartAsync<PaymentsDbContext>(provider, StreamNames.PaymentEvents, (bus, configuration, options) =>
            {
                // Registered first, it takes the sandbox's place.
                if (gateway is not null)
                    bus.AddSingleton(gateway);
                bus.AddPayments(configuration, options);
            },
            failure, new Dictionary<string, string?> { ["Commerce:Payments:GatewayTimeout"] = "00:00:30" });

    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Charged_declined_and_refunded_payments_each_produce_their_fact_once_and_redeliveries_none(DatabaseProvider provider)
    {
        await using var host = await StartAsync(provider);
        var charged = Guid.NewGuid();
        var declined = Guid.NewGuid();

        for (var delivery = 1; delivery <= 2; delivery++)
        {
            await host.ChargeAsync(charged, "tok_visa", 129.90m);
            await host.WaitForPublishedAsync<PaymentCompleted>(m => m.OrderId == charged, delivery);
        }

        await host.ChargeAsync(declined, "tok_chargeDeclined", 20m);
        await host.WaitForPublishedAsync<PaymentDeclined>(m => m.OrderId == declined);
        for (var delivery = 1; delivery <= 2; delivery++)
        {
            await host.RefundAsync(charged);
            await host.WaitForPublishedAsync<PaymentRefunded>(m => m.OrderId == charged, delivery);
        }

        var money = await host.WaitForFactsAsync(charged, 2);
        Assert.Equal([typeof(Facts.PaymentProcessed), typeof(Facts.PaymentRefunded)], money.Select(f => f.Message.GetType()));
        Assert.All(money, f => Assert.Equal((StreamNames.PaymentEvents, charged.ToString()), (f.Stream, f.Key)));
        var processed = (Facts.PaymentProcessed)money[0].Message;
        Assert.Equal((129.90m, "EUR"), (processed.Amount, processed.Currency));
        Assert.Equal(129.90m, ((Facts.PaymentRefunded)money[1].Message).Amount);
        var refusal = Assert.IsType<Facts.PaymentDeclined>(Assert.Single(await host.WaitForFactsAsync(declined, 1)).Message);
        Assert.Equal((20m, "card_declined"), (refusal.Amount, refusal.Reason));
        Assert.Equal(0, await host.UndeliveredAsync<PaymentsDbContext>());
    }

    // The attempt is committed before the gateway is called; the fact is not in it but comes with the outcome.
    [Fact]
    public async Task A_charge_produces_its_fact_with_the_outcome_not_with_the_attempt()
    {
        var gateway = new StallingGateway();
        await using var host = await StartAsync(DatabaseProvider.Sqlite, gateway);
        var orderId = Guid.NewGuid();

        await host.ChargeAsync(orderId, StallingGateway.StallToken);
        await gateway.Stalled.WaitAsync(ConsumerTestHost.Patience);
        Assert.Equal(PaymentStatus.Processing, (await host.PaymentAsync(orderId)).Status);
        Assert.Empty(await host.WaitForFactsAsync(orderId, 1));

        gateway.Release();
        await host.WaitForPublishedAsync<PaymentCompleted>(m => m.OrderId == orderId);
        Assert.IsType<Facts.PaymentProcessed>(Assert.Single(await host.WaitForFactsAsync(orderId, 1)).Message);
    }

    // A charge that lands after a refund voided the payment is given back: money moved twice, two facts. (The outcome
    // first recorded as Succeeded fails on the payment's version and rolls back with its fact.)
    [Fact]
    public async Task A_late_charge_given_back_is_processed_then_refunded()
    {
        var gateway = new StallingGateway();
        await using var host = await StartAsync(DatabaseProvider.Sqlite, gateway);
        var orderId = Guid.NewGuid();
        await host.ChargeAsync(orderId, StallingGateway.StallToken);
        await gateway.Stalled.WaitAsync(ConsumerTestHost.Patience);
        await host.RefundAsync(orderId);
        await host.WaitForConsumedAsync<RefundPayment>(m => m.OrderId == orderId);

        gateway.Release();
        await host.WaitForPublishedAsync<PaymentDeclined>(m => m.OrderId == orderId && m.Reason == "voided");

        Assert.Equal([typeof(Facts.PaymentProcessed), typeof(Facts.PaymentRefunded)],
            (await host.WaitForFactsAsync(orderId, 2)).Select(f => f.Message.GetType()));
    }

    // The outcome's transaction fails after the fact was written in it: the rollback takes the fact with it, the retry
    // writes it again, and the consumer group reads the committed one only.
    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task An_outcome_that_rolls_back_after_producing_reaches_no_consumer_group_and_its_retry_does_once(DatabaseProvider provider)
    {
        var failure = new FailAfterProduce(failures: 1);
        await using var host = await StartAsync(provider, failure: failure);
        var orderId = Guid.NewGuid();

        await host.ChargeAsync(orderId, "tok_visa");
        await host.WaitForPublishedAsync<PaymentCompleted>(m => m.OrderId == orderId);

        var fact = Assert.Single(await host.WaitForFactsAsync(orderId, 1));
        Assert.Equal(1, failure.Failed);
        Assert.IsType<Facts.PaymentProcessed>(fact.Message);
        Assert.DoesNotContain(fact.EventId, failure.RolledBack);
        Assert.Equal(0, await host.UndeliveredAsync<PaymentsDbContext>());
        Assert.Equal(1, host.Sandbox().ChargeCount);
    }
}
