using System.Text.Json;
using GlobalCommerce.Contracts.Fraud;
using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Contracts.Orders;
using GlobalCommerce.Contracts.Payments;

namespace GlobalCommerce.Sagas.Tests.Orders;

// The commands support staff send through the console, and the manual fraud-review band.
public sealed class SupportCommandTests
{
    [Fact]
    public async Task A_score_in_the_review_band_holds_the_order_until_support_approves_it_then_charges()
    {
        await using var host = await OrderSagaHost.StartAsync();
        var order = await AdvanceToFraudCheckAsync(host);

        await host.PublishAsync(new FraudAssessed { OrderId = order.OrderId, Score = 0.15, Reasons = ["high-risk country"] });
        var held = await host.WaitForStateAsync(order.OrderId, "AwaitingFraudReview");
        Assert.Equal("high-risk country", held.FraudReasons);
        Assert.NotNull(held.DeadlineAt);
        Assert.True(held.DeadlineAt > DateTimeOffset.UtcNow.AddHours(23), "a review waits for a person, not for a step timeout");
        Assert.Equal(0, host.SentCount<ChargePayment>(order.OrderId, m => m.OrderId));

        await host.SendToSagaAsync(new ApproveOrder { OrderId = order.OrderId, Reason = "Known customer, called back", RequestedBy = "support ann@demo.local" });
        await host.WaitForSentAsync<ChargePayment>(order.OrderId, m => m.OrderId);
        var saga = await host.WaitForStateAsync(order.OrderId, "AwaitingPayment");
        var approval = saga.History.Last();
        Assert.Equal("AwaitingFraudReview>AwaitingPayment:ApproveOrder", $"{approval.From}>{approval.To}:{approval.Event}");
        Assert.Contains("Known customer, called back (by support ann@demo.local)", approval.Detail);
        Assert.Equal(0, host.SentCount<ReleaseInventory>(order.OrderId, m => m.OrderId));
    }

    [Fact]
    public async Task Rejecting_a_held_order_fails_it_and_releases_the_stock_without_charging()
    {
        await using var host = await OrderSagaHost.StartAsync();
        var order = await AdvanceToFraudCheckAsync(host);
        await host.PublishAsync(new FraudAssessed { OrderId = order.OrderId, Score = 0.17, Reasons = [] });
        await host.WaitForStateAsync(order.OrderId, "AwaitingFraudReview");

        await host.SendToSagaAsync(new RejectOrder { OrderId = order.OrderId, Reason = "Card reported stolen", RequestedBy = "admin bo@demo.local" });
        var saga = await host.WaitForStateAsync(order.OrderId, "Failed");

        Assert.Equal("Rejected in fraud review: Card reported stolen (by admin bo@demo.local)", saga.FailureReason);
        await host.WaitForSentAsync<ReleaseInventory>(order.OrderId, m => m.OrderId);
        await host.WaitForSentAsync<OrderFailed>(order.OrderId, m => m.OrderId);
        Assert.Equal(0, host.SentCount<ChargePayment>(order.OrderId, m => m.OrderId));
    }

    [Fact]
    public async Task Approving_an_order_that_is_not_held_changes_nothing()
    {
        await using var host = await OrderSagaHost.StartAsync();
        var order = await AdvanceToFraudCheckAsync(host);

        await host.SendToSagaAsync(new ApproveOrder { OrderId = order.OrderId, Reason = "too early", RequestedBy = "support" });
        await host.Harness.InactivityTask;

        var saga = await host.WaitForStateAsync(order.OrderId, "AwaitingFraudCheck");
        Assert.Equal(0, host.SentCount<ChargePayment>(order.OrderId, m => m.OrderId));
        Assert.Equal(2, saga.History.Count);
    }

    [Fact]
    public async Task Retrying_the_pending_step_resends_its_command_with_fresh_attempts_and_records_who_asked()
    {
        await using var host = await OrderSagaHost.StartAsync();
        var order = await AdvanceToFraudCheckAsync(host);
        var before = await host.LoadAsync(order.OrderId);

        await host.SendToSagaAsync(new RetryOrderStep { OrderId = order.OrderId, Reason = "fraud service was down", RequestedBy = "support ann@demo.local" });
        await host.WaitForSentAsync<AssessFraud>(order.OrderId, m => m.OrderId, count: 2);
        await host.Harness.InactivityTask;

        var saga = await host.WaitForStateAsync(order.OrderId, "AwaitingFraudCheck");
        Assert.Equal(1, saga.StepAttempts);
        Assert.True(saga.DeadlineAt >= before!.DeadlineAt);
        var retry = saga.History.Last();
        Assert.Equal("AwaitingFraudCheck>AwaitingFraudCheck:RetryOrderStep", $"{retry.From}>{retry.To}:{retry.Event}");
        Assert.Contains("Sent AssessFraud again at the request of support ann@demo.local: fraud service was down", retry.Detail);
        Assert.NotNull(retry.Snapshot);
    }

    [Fact]
    public async Task Retrying_an_ended_order_sends_nothing()
    {
        await using var host = await OrderSagaHost.StartAsync();
        var order = await SubmitAsync(host);
        await host.SendToSagaAsync(new CancelOrder { OrderId = order.OrderId, Reason = "changed mind", RequestedBy = "customer" });
        await host.WaitForStateAsync(order.OrderId, "Cancelled");

        await host.SendToSagaAsync(new RetryOrderStep { OrderId = order.OrderId, Reason = "retry", RequestedBy = "support" });
        await host.Harness.InactivityTask;

        Assert.Equal(1, host.SentCount<ReserveInventory>(order.OrderId, m => m.OrderId));
        Assert.Equal("Cancelled", (await host.LoadAsync(order.OrderId))!.CurrentState);
    }

    [Fact]
    public async Task Every_transition_keeps_its_message_and_the_saga_data_after_the_step()
    {
        await using var host = await OrderSagaHost.StartAsync();
        var order = OrderSagaHost.NewOrder() with { CustomerEmail = "ada@example.com" };
        await host.SendToSagaAsync(order);
        await host.WaitForStateAsync(order.OrderId, "Pending");
        await host.PublishAsync(new InventoryReserved { OrderId = order.OrderId, ReservedAt = DateTimeOffset.UtcNow });
        await host.WaitForStateAsync(order.OrderId, "AwaitingFraudCheck");
        await host.PublishAsync(new FraudAssessed { OrderId = order.OrderId, Score = 0.05, Reasons = ["large basket"] });
        var saga = await host.WaitForStateAsync(order.OrderId, "AwaitingPayment");

        Assert.Equal("ada@example.com", saga.CustomerEmail);
        var snapshots = saga.History.Select(t => JsonDocument.Parse(t.Snapshot!).RootElement).ToList();
        Assert.Equal(["Pending", "AwaitingFraudCheck", "AwaitingPayment"], snapshots.Select(s => s.GetProperty("state").GetString()));
        Assert.Equal(JsonValueKind.Null, snapshots[1].GetProperty("fraudScore").ValueKind);
        Assert.Equal(0.05, snapshots[2].GetProperty("fraudScore").GetDouble());
        Assert.Equal("large basket", snapshots[2].GetProperty("fraudReasons").GetString());
        Assert.False(snapshots[0].TryGetProperty("paymentToken", out _), "the snapshot leaves the payment token out");
        var message = JsonDocument.Parse(saga.History[2].Message!).RootElement;
        Assert.Equal(0.05, message.GetProperty("score").GetDouble());
        Assert.Equal(order.OrderId, JsonDocument.Parse(saga.History[0].Message!).RootElement.GetProperty("orderId").GetGuid());
    }

    static async Task<SubmitOrder> SubmitAsync(OrderSagaHost host)
    {
        var order = OrderSagaHost.NewOrder();
        await host.SendToSagaAsync(order);
        await host.WaitForStateAsync(order.OrderId, "Pending");
        return order;
    }

    static async Task<SubmitOrder> AdvanceToFraudCheckAsync(OrderSagaHost host)
    {
        var order = await SubmitAsync(host);
        await host.PublishAsync(new InventoryReserved { OrderId = order.OrderId, ReservedAt = DateTimeOffset.UtcNow });
        await host.WaitForStateAsync(order.OrderId, "AwaitingFraudCheck");
        await host.WaitForSentAsync<AssessFraud>(order.OrderId, m => m.OrderId);
        return order;
    }
}
