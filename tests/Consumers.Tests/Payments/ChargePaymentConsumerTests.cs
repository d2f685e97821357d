using System.Data.Common;
using GlobalCommerce.Consumers.Payments;
using GlobalCommerce.Consumers.Tests.Support;
using GlobalCommerce.Contracts.Payments;
using GlobalCommerce.Platform;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Tests.Payments;

public class ChargePaymentConsumerTests
{
    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Visa_charge_succeeds_and_a_redelivery_charges_once(DatabaseProvider provider)
    {
        await using var host = await PaymentsTestHost.StartAsync(provider);
        var orderId = Guid.NewGuid();

        await host.ChargeAsync(orderId, "tok_visa", 129.90m);
        var first = (await host.WaitForPublishedAsync<PaymentCompleted>(m => m.OrderId == orderId))[0];
        await host.ChargeAsync(orderId, "tok_visa", 129.90m);
        var both = await host.WaitForPublishedAsync<PaymentCompleted>(m => m.OrderId == orderId, 2);

        Assert.StartsWith("ch_sandbox_", first.GatewayReference, StringComparison.Ordinal);
        Assert.Equal((129.90m, "EUR"), (first.Amount, first.Currency));
        Assert.All(both, m => Assert.Equal(first.GatewayReference, m.GatewayReference));
        Assert.Equal(1, host.Sandbox().ChargeCount);
        var payment = Assert.Single(await host.PaymentsAsync());
        Assert.Equal((PaymentStatus.Succeeded, first.GatewayReference), (payment.Status, payment.GatewayReference));
    }

    [Fact]
    public async Task Concurrent_duplicate_charges_charge_once()
    {
        await using var host = await PaymentsTestHost.StartAsync(DatabaseProvider.Postgres, concurrentMessageLimit: 6);
        var orderId = Guid.NewGuid();

        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => host.ChargeAsync(orderId, "tok_mastercard")));

        var completed = await host.WaitForPublishedAsync<PaymentCompleted>(m => m.OrderId == orderId, 6);
        Assert.Single(completed.Select(m => m.GatewayReference).Distinct());
        Assert.Equal(1, host.Sandbox().ChargeCount);
        Assert.Equal(PaymentStatus.Succeeded, (await host.PaymentAsync(orderId)).Status);
    }

    // The gateway is called with no transaction open: on SQLite a transaction holds the file's only write lock, and
    // a charge hanging at the gateway inside one used to stall every other payment for the gateway timeout.
    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task A_charge_hanging_at_the_gateway_does_not_hold_up_another_orders_charge(DatabaseProvider provider)
    {
        var gateway = new StallingGateway();
        await using var host = await PaymentsTestHost.StartAsync(provider, gatewayTimeout: TimeSpan.FromSeconds(30),
            concurrentMessageLimit: 4, gateway: gateway);
        var hanging = Guid.NewGuid();
        var other = Guid.NewGuid();

        await host.ChargeAsync(hanging, StallingGateway.StallToken);
        await gateway.Stalled.WaitAsync(ConsumerTestHost.Patience);
        await host.ChargeAsync(other, "tok_visa");
        await host.WaitForPublishedAsync<PaymentCompleted>(m => m.OrderId == other);

        // Causal, not timed: the other order completed while the first charge was still inside the gateway.
        Assert.False(gateway.IsReleased);
        Assert.Empty(host.Published<PaymentCompleted>(m => m.OrderId == hanging));
        // The attempt was committed before the call, so a refund arriving now knows to ask the gateway.
        Assert.Equal(PaymentStatus.Processing, (await host.PaymentAsync(hanging)).Status);

        gateway.Release();
        await host.WaitForPublishedAsync<PaymentCompleted>(m => m.OrderId == hanging);
        Assert.Equal(2, gateway.Sandbox.ChargeCount);
        Assert.Equal(PaymentStatus.Succeeded, (await host.PaymentAsync(hanging)).Status);
    }

    // A refund that voids the payment while its charge hangs at the gateway: the charge, once it lands, is given back.
    [Fact]
    public async Task A_refund_while_the_charge_hangs_at_the_gateway_gives_the_late_charge_back()
    {
        var gateway = new StallingGateway();
        await using var host = await PaymentsTestHost.StartAsync(DatabaseProvider.Sqlite, gatewayTimeout: TimeSpan.FromSeconds(30),
            concurrentMessageLimit: 4, gateway: gateway);
        var orderId = Guid.NewGuid();

        await host.ChargeAsync(orderId, StallingGateway.StallToken);
        await gateway.Stalled.WaitAsync(ConsumerTestHost.Patience);
        await host.RefundAsync(orderId);
        await host.WaitForConsumedAsync<RefundPayment>(m => m.OrderId == orderId);
        Assert.Equal(PaymentStatus.Voided, (await host.PaymentAsync(orderId)).Status);

        gateway.Release();
        await host.WaitForPublishedAsync<PaymentDeclined>(m => m.OrderId == orderId && m.Reason == "voided");
        Assert.Empty(host.Published<PaymentCompleted>());
        Assert.Equal(1, gateway.Sandbox.RefundCount);
        Assert.Equal(PaymentStatus.Refunded, (await host.PaymentAsync(orderId)).Status);
    }

    [Theory]
    [InlineData("tok_chargeDeclined", "card_declined")]
    [InlineData("tok_4242424242424242", "invalid_token")]
    public async Task Declined_card_publishes_PaymentDeclined_and_takes_no_money(string token, string reason)
    {
        await using var host = await PaymentsTestHost.StartAsync(DatabaseProvider.Sqlite);
        var orderId = Guid.NewGuid();

        await host.ChargeAsync(orderId, token);

        var declined = (await host.WaitForPublishedAsync<PaymentDeclined>(m => m.OrderId == orderId))[0];
        Assert.Equal(reason, declined.Reason);
        Assert.Empty(host.Published<PaymentCompleted>());
        Assert.Equal(0, host.Sandbox().ChargeCount);
        var payment = await host.PaymentAsync(orderId);
        Assert.Equal((PaymentStatus.Declined, reason), (payment.Status, payment.DeclineReason));
    }

    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Gateway_timeout_leaves_the_payment_unknown_and_publishes_nothing(DatabaseProvider provider)
    {
        await using var host = await PaymentsTestHost.StartAsync(provider, gatewayTimeout: TimeSpan.FromMilliseconds(200));
        var orderId = Guid.NewGuid();

        await host.ChargeAsync(orderId, "tok_timeout");
        await host.WaitForConsumedAsync<ChargePayment>(m => m.OrderId == orderId);

        Assert.Equal(PaymentStatus.Unknown, (await host.PaymentAsync(orderId)).Status);
        Assert.Empty(host.Published<PaymentCompleted>());
        Assert.Empty(host.Published<PaymentDeclined>());
        Assert.Equal(0, host.Sandbox().ChargeCount);
    }

    [Fact]
    public async Task An_unknown_charge_is_settled_by_asking_the_gateway_again_with_the_same_key()
    {
        await using var host = await PaymentsTestHost.StartAsync(DatabaseProvider.Sqlite);
        var orderId = Guid.NewGuid();
        // The gateway charged, but its answer was lost: the payment stayed Unknown.
        var charged = await host.Sandbox().ChargeAsync(new GatewayCharge(orderId.ToString(), 80m, "EUR", "tok_visa"), CancellationToken.None);
        await host.SaveAsync<PaymentsDbContext>(new Payment { OrderId = orderId, Amount = 80m, Currency = "EUR", Status = PaymentStatus.Unknown });

        await host.ChargeAsync(orderId, "tok_visa", 80m);

        var completed = (await host.WaitForPublishedAsync<PaymentCompleted>(m => m.OrderId == orderId))[0];
        Assert.Equal(charged.Reference, completed.GatewayReference);
        Assert.Equal(1, host.Sandbox().ChargeCount);
        Assert.Equal(PaymentStatus.Succeeded, (await host.PaymentAsync(orderId)).Status);
    }

    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task No_column_of_the_payments_database_stores_the_payment_token(DatabaseProvider provider)
    {
        await using var host = await PaymentsTestHost.StartAsync(provider);
        var charged = Guid.NewGuid();
        var declined = Guid.NewGuid();
        await host.ChargeAsync(charged, "tok_visa");
        await host.ChargeAsync(declined, "tok_chargeDeclined");
        await host.WaitForPublishedAsync<PaymentCompleted>(m => m.OrderId == charged);
        await host.WaitForPublishedAsync<PaymentDeclined>(m => m.OrderId == declined);

        Assert.DoesNotContain(typeof(Payment).GetProperties(), p => p.Name.Contains("Token", StringComparison.OrdinalIgnoreCase)
            || p.Name.Contains("Card", StringComparison.OrdinalIgnoreCase));
        var values = await host.QueryAsync<PaymentsDbContext, List<string>>(ReadEveryStringAsync);
        Assert.NotEmpty(values);
        Assert.DoesNotContain(values, v => v.Contains("tok_", StringComparison.OrdinalIgnoreCase));
    }

    static async Task<List<string>> ReadEveryStringAsync(PaymentsDbContext db)
    {
        var values = new List<string>();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        foreach (var table in db.Model.GetEntityTypes().Select(e => e.GetTableName()).Distinct())
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM \"{table}\"";
            await using DbDataReader reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    if (!reader.IsDBNull(i) && reader.GetValue(i) is string value)
                        values.Add(value);
                }
            }
        }

        return values;
    }
}
