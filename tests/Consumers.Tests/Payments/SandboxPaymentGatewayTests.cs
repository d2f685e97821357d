using GlobalCommerce.Consumers.Payments;

namespace GlobalCommerce.Consumers.Tests.Payments;

public sealed class SandboxPaymentGatewayTests
{
    [Fact]
    public async Task A_charge_is_still_known_by_its_idempotency_key_after_the_gateway_restarts()
    {
        var storage = SandboxStorage.NewFile();
        var charged = await SandboxStorage.Open(storage).ChargeAsync(new GatewayCharge("order-1", 80m, "EUR", "tok_visa"), CancellationToken.None);

        var restarted = SandboxStorage.Open(storage);

        var found = await restarted.FindChargeAsync("order-1", CancellationToken.None);
        Assert.NotNull(found);
        Assert.True(found.Succeeded);
        Assert.StartsWith("ch_sandbox_", found.Reference);
        Assert.Equal(charged.Reference, found.Reference);
    }

    [Fact]
    public async Task A_repeated_charge_after_a_restart_returns_the_first_outcome_and_takes_no_more_money()
    {
        var storage = SandboxStorage.NewFile();
        var first = await SandboxStorage.Open(storage).ChargeAsync(new GatewayCharge("order-2", 80m, "EUR", "tok_visa"), CancellationToken.None);

        var restarted = SandboxStorage.Open(storage);
        var repeated = await restarted.ChargeAsync(new GatewayCharge("order-2", 80m, "EUR", "tok_visa"), CancellationToken.None);

        Assert.Equal(first, repeated);
        Assert.Equal(1, restarted.ChargeCount);
    }

    [Fact]
    public async Task A_decline_is_replayed_for_its_key_and_never_becomes_a_charge()
    {
        var storage = SandboxStorage.NewFile();
        await SandboxStorage.Open(storage).ChargeAsync(new GatewayCharge("order-3", 80m, "EUR", "tok_chargeDeclined"), CancellationToken.None);

        var restarted = SandboxStorage.Open(storage);
        var repeated = await restarted.ChargeAsync(new GatewayCharge("order-3", 80m, "EUR", "tok_visa"), CancellationToken.None);

        Assert.Equal(GatewayResult.Declined("card_declined"), repeated);
        Assert.Equal(0, restarted.ChargeCount);
    }

    [Fact]
    public async Task A_charge_is_refunded_once_across_restarts_and_a_retried_refund_returns_the_first_outcome()
    {
        var storage = SandboxStorage.NewFile();
        var gateway = SandboxStorage.Open(storage);
        var charged = await gateway.ChargeAsync(new GatewayCharge("order-4", 80m, "EUR", "tok_visa"), CancellationToken.None);
        var refunded = await gateway.RefundAsync(charged.Reference!, 80m, "refund-order-4", CancellationToken.None);

        var restarted = SandboxStorage.Open(storage);

        Assert.Equal(refunded, await restarted.RefundAsync(charged.Reference!, 80m, "refund-order-4", CancellationToken.None));
        Assert.Equal(GatewayResult.Declined("charge_already_refunded"),
            await restarted.RefundAsync(charged.Reference!, 80m, "another-refund", CancellationToken.None));
        Assert.Equal(1, restarted.RefundCount);
    }

    [Fact]
    public async Task Concurrent_charges_with_one_key_take_money_once()
    {
        var gateway = SandboxStorage.Open();

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            gateway.ChargeAsync(new GatewayCharge("order-5", 80m, "EUR", "tok_visa"), CancellationToken.None)));

        Assert.Single(results.Distinct());
        Assert.Equal(1, gateway.ChargeCount);
    }
}
