using GlobalCommerce.Contracts.Fraud;
using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Contracts.Orders;
using GlobalCommerce.Contracts.Payments;
using GlobalCommerce.Contracts.Shipping;
using MassTransit;

namespace GlobalCommerce.Sagas.Tests.Orders;

public sealed class OrderStateMachineTests
{
    [Fact]
    public async Task An_order_goes_from_pending_to_completed_and_records_every_transition()
    {
        await using var host = await OrderSagaHost.StartAsync();
        var order = OrderSagaHost.NewOrder();

        await host.SendToSagaAsync(order);
        await host.WaitForSentAsync<ReserveInventory>(order.OrderId, m => m.OrderId);
        Assert.Equal(order.Lines.Select(l => (l.ProductId, l.Quantity)),
            host.Recorded<ReserveInventory>().Single().Lines.Select(l => (l.ProductId, l.Quantity)));

        await host.PublishAsync(new InventoryReserved { OrderId = order.OrderId, ReservedAt = DateTimeOffset.UtcNow });
        await host.WaitForSentAsync<AssessFraud>(order.OrderId, m => m.OrderId);
        await host.PublishAsync(new FraudAssessed { OrderId = order.OrderId, Score = 0.05, Reasons = [] });
        await host.WaitForSentAsync<ChargePayment>(order.OrderId, m => m.OrderId);
        var charge = host.Recorded<ChargePayment>().Single();
        Assert.Equal(132.30m, charge.Amount);
        Assert.Equal("tok_visa", charge.PaymentToken);

        await host.PublishAsync(new PaymentCompleted { OrderId = order.OrderId, Amount = 132.30m, Currency = "EUR", GatewayReference = "ch_1" });
        await host.WaitForSentAsync<CreateShipment>(order.OrderId, m => m.OrderId);
        Assert.Equal(1, host.SentCount<CommitInventory>(order.OrderId, m => m.OrderId));

        await host.PublishAsync(new ShipmentCreated { OrderId = order.OrderId, Carrier = "DHL", TrackingNumber = "GC123" });
        var saga = await host.WaitForStateAsync(order.OrderId, "Completed");

        Assert.Equal("GC123", saga.TrackingNumber);
        Assert.Equal("ch_1", saga.PaymentReference);
        Assert.Null(saga.DeadlineAt);
        Assert.Equal(
            ["Initial>Pending:SubmitOrder", "Pending>AwaitingFraudCheck:InventoryReserved", "AwaitingFraudCheck>AwaitingPayment:FraudAssessed",
             "AwaitingPayment>Confirmed:PaymentCompleted", "Confirmed>Completed:ShipmentCreated"],
            saga.History.Select(t => $"{t.From}>{t.To}:{t.Event}"));
        Assert.All(saga.History, t => Assert.NotNull(t.MessageId));
        Assert.Equal(0, host.SentCount<ReleaseInventory>(order.OrderId, m => m.OrderId));
    }

    [Fact]
    public async Task Stock_unavailable_fails_the_order_without_charging()
    {
        await using var host = await OrderSagaHost.StartAsync();
        var order = OrderSagaHost.NewOrder();
        await host.SendToSagaAsync(order);
        await host.WaitForStateAsync(order.OrderId, "Pending");

        await host.PublishAsync(new InventoryReservationFailed { OrderId = order.OrderId, Reason = "not enough stock", UnavailableProductIds = [order.Lines[0].ProductId] });
        var saga = await host.WaitForStateAsync(order.OrderId, "Failed");

        Assert.Contains("Stock unavailable", saga.FailureReason);
        Assert.Equal(0, host.SentCount<ChargePayment>(order.OrderId, m => m.OrderId));
        Assert.Equal(0, host.SentCount<AssessFraud>(order.OrderId, m => m.OrderId));
        await host.WaitForSentAsync<OrderFailed>(order.OrderId, m => m.OrderId);
    }

    [Fact]
    public async Task Payment_decline_releases_the_reserved_stock()
    {
        await using var host = await OrderSagaHost.StartAsync();
        var order = await AdvanceToPaymentAsync(host);

        await host.PublishAsync(new PaymentDeclined { OrderId = order.OrderId, Reason = "card_declined" });
        var saga = await host.WaitForStateAsync(order.OrderId, "Failed");

        Assert.Contains("card_declined", saga.FailureReason);
        await host.WaitForSentAsync<ReleaseInventory>(order.OrderId, m => m.OrderId);
        Assert.Equal(0, host.SentCount<CommitInventory>(order.OrderId, m => m.OrderId));
        Assert.Equal(0, host.SentCount<CreateShipment>(order.OrderId, m => m.OrderId));
    }

    [Theory]
    [InlineData(0.2)]
    [InlineData(0.95)]
    public async Task A_fraud_score_at_or_above_the_threshold_releases_stock_and_fails_without_charging(double score)
    {
        await using var host = await OrderSagaHost.StartAsync();
        var order = await AdvanceToFraudCheckAsync(host);

        await host.PublishAsync(new FraudAssessed { OrderId = order.OrderId, Score = score, Reasons = ["velocity"] });
        var saga = await host.WaitForStateAsync(order.OrderId, "Failed");

        Assert.Equal(score, saga.FraudScore);
        Assert.Contains("fraud", saga.FailureReason, StringComparison.OrdinalIgnoreCase);
        await host.WaitForSentAsync<ReleaseInventory>(order.OrderId, m => m.OrderId);
        Assert.Equal(0, host.SentCount<ChargePayment>(order.OrderId, m => m.OrderId));
    }

    [Fact]
    public async Task A_duplicate_SubmitOrder_creates_one_saga_and_reserves_once()
    {
        await using var host = await OrderSagaHost.StartAsync();
        var order = OrderSagaHost.NewOrder();

        await Task.WhenAll(host.SendToSagaAsync(order), host.SendToSagaAsync(order), host.SendToSagaAsync(order));
        await host.WaitForStateAsync(order.OrderId, "Pending");
        await WaitForConsumedAsync<SubmitOrder>(host, 3);

        Assert.Equal(1, await host.CountSagasAsync(order.OrderId));
        Assert.Equal(1, host.SentCount<ReserveInventory>(order.OrderId, m => m.OrderId));
        var saga = await host.LoadAsync(order.OrderId);
        Assert.Single(saga!.History);
    }

    [Fact]
    public async Task A_redelivered_reply_moves_the_saga_once()
    {
        await using var host = await OrderSagaHost.StartAsync();
        var order = OrderSagaHost.NewOrder();
        await host.SendToSagaAsync(order);
        await host.WaitForStateAsync(order.OrderId, "Pending");

        var reserved = new InventoryReserved { OrderId = order.OrderId, ReservedAt = DateTimeOffset.UtcNow };
        await host.PublishAsync(reserved);
        await host.PublishAsync(reserved);
        await host.WaitForStateAsync(order.OrderId, "AwaitingFraudCheck");
        await WaitForConsumedAsync<InventoryReserved>(host, 2);

        Assert.Equal(1, host.SentCount<AssessFraud>(order.OrderId, m => m.OrderId));
        var saga = await host.LoadAsync(order.OrderId);
        Assert.Equal(2, saga!.History.Count);
    }

    [Fact]
    public async Task An_expired_deadline_resends_the_pending_command_then_asks_the_gateway_before_compensating()
    {
        await using var host = await OrderSagaHost.StartAsync(maxStepAttempts: 3);
        var order = await ExhaustPaymentAttemptsAsync(host);

        // The gateway holds no charge: stock goes back, nothing to refund (the payments domain voided the payment).
        await host.PublishAsync(new PaymentNotCharged { OrderId = order.OrderId });
        var saga = await host.WaitForStateAsync(order.OrderId, "Failed");
        Assert.Equal("Payment timed out: the gateway holds no charge for the order", saga.FailureReason);
        await host.WaitForSentAsync<ReleaseInventory>(order.OrderId, m => m.OrderId);
        Assert.Equal(0, host.SentCount<RefundPayment>(order.OrderId, m => m.OrderId));
        Assert.Equal(3, host.SentCount<ChargePayment>(order.OrderId, m => m.OrderId));
        Assert.Equal(3, saga.History.Count(t => t.Event == "DeadlineExpired" && t.From == t.To));
        Assert.Contains(saga.History, t => t.From == "AwaitingPayment" && t.To == "VerifyingPayment");
    }

    [Fact]
    public async Task A_charge_the_gateway_confirms_on_the_check_goes_on_to_shipping()
    {
        await using var host = await OrderSagaHost.StartAsync(maxStepAttempts: 3);
        var order = await ExhaustPaymentAttemptsAsync(host);

        await host.PublishAsync(new PaymentCompleted { OrderId = order.OrderId, Amount = order.Total, Currency = order.Currency, GatewayReference = "ch_late" });
        var saga = await host.WaitForStateAsync(order.OrderId, "Confirmed");
        Assert.Equal("ch_late", saga.PaymentReference);
        await host.WaitForSentAsync<CreateShipment>(order.OrderId, m => m.OrderId);
        Assert.Equal(0, host.SentCount<ReleaseInventory>(order.OrderId, m => m.OrderId));
    }

    [Fact]
    public async Task A_gateway_silent_to_the_check_too_is_compensated_with_a_refund()
    {
        await using var host = await OrderSagaHost.StartAsync(maxStepAttempts: 3);
        var order = await ExhaustPaymentAttemptsAsync(host);

        for (var attempt = 2; attempt <= 3; attempt++)
        {
            var checking = await host.LoadAsync(order.OrderId);
            await host.PublishAsync(new OrderDeadlineExpired { OrderId = order.OrderId, DeadlineAt = checking!.DeadlineAt!.Value });
            await host.WaitForSentAsync<CheckPayment>(order.OrderId, m => m.OrderId, attempt);
        }

        var last = await host.LoadAsync(order.OrderId);
        await host.PublishAsync(new OrderDeadlineExpired { OrderId = order.OrderId, DeadlineAt = last!.DeadlineAt!.Value });
        var saga = await host.WaitForStateAsync(order.OrderId, "Failed");
        Assert.Equal("Payment outcome unknown after 3 attempts", saga.FailureReason);
        await host.WaitForSentAsync<ReleaseInventory>(order.OrderId, m => m.OrderId);
        // The gateway may have charged without answering: the refund makes sure the customer keeps the money.
        await host.WaitForSentAsync<RefundPayment>(order.OrderId, m => m.OrderId);
    }

    // Payment step: two re-sends on deadlines, then the third deadline sends CheckPayment and waits in VerifyingPayment.
    static async Task<SubmitOrder> ExhaustPaymentAttemptsAsync(OrderSagaHost host)
    {
        var order = await AdvanceToPaymentAsync(host);
        for (var attempt = 2; attempt <= 3; attempt++)
        {
            var waiting = await host.LoadAsync(order.OrderId);
            await host.PublishAsync(new OrderDeadlineExpired { OrderId = order.OrderId, DeadlineAt = waiting!.DeadlineAt!.Value });
            await host.WaitForSentAsync<ChargePayment>(order.OrderId, m => m.OrderId, attempt);
        }

        var last = await host.LoadAsync(order.OrderId);
        Assert.Equal(3, last!.StepAttempts);
        Assert.Equal("AwaitingPayment", last.CurrentState);
        await host.PublishAsync(new OrderDeadlineExpired { OrderId = order.OrderId, DeadlineAt = last.DeadlineAt!.Value });
        await host.WaitForSentAsync<CheckPayment>(order.OrderId, m => m.OrderId);
        var verifying = await host.WaitForStateAsync(order.OrderId, "VerifyingPayment");
        Assert.Equal(1, verifying.StepAttempts);
        return order;
    }

    [Fact]
    public async Task A_stale_deadline_is_ignored()
    {
        await using var host = await OrderSagaHost.StartAsync();
        var order = OrderSagaHost.NewOrder();
        await host.SendToSagaAsync(order);
        var pending = await host.WaitForStateAsync(order.OrderId, "Pending");

        await host.PublishAsync(new OrderDeadlineExpired { OrderId = order.OrderId, DeadlineAt = pending.DeadlineAt!.Value.AddSeconds(-1) });
        await WaitForConsumedAsync<OrderDeadlineExpired>(host, 1);

        var saga = await host.LoadAsync(order.OrderId);
        Assert.Equal(1, saga!.StepAttempts);
        Assert.Equal(pending.DeadlineAt, saga.DeadlineAt);
        Assert.Equal(1, host.SentCount<ReserveInventory>(order.OrderId, m => m.OrderId));
    }

    [Theory]
    [InlineData("Pending", false, false)]
    [InlineData("AwaitingFraudCheck", false, false)]
    [InlineData("AwaitingPayment", true, false)]
    [InlineData("Confirmed", true, true)]
    public async Task Cancelling_before_shipment_compensates_what_was_done(string state, bool refunds, bool cancelsShipment)
    {
        await using var host = await OrderSagaHost.StartAsync();
        var order = state switch
        {
            "Pending" => await SubmitAsync(host),
            "AwaitingFraudCheck" => await AdvanceToFraudCheckAsync(host),
            "AwaitingPayment" => await AdvanceToPaymentAsync(host),
            _ => await AdvanceToConfirmedAsync(host),
        };

        await host.SendToSagaAsync(new CancelOrder { OrderId = order.OrderId, Reason = "changed my mind", RequestedBy = "customer" });
        var saga = await host.WaitForStateAsync(order.OrderId, "Cancelled");

        Assert.Contains("changed my mind", saga.CancellationReason);
        await host.WaitForSentAsync<ReleaseInventory>(order.OrderId, m => m.OrderId);
        if (refunds)
            await host.WaitForSentAsync<RefundPayment>(order.OrderId, m => m.OrderId);
        else
            Assert.Equal(0, host.SentCount<RefundPayment>(order.OrderId, m => m.OrderId));
        if (cancelsShipment)
            await host.WaitForSentAsync<CancelShipment>(order.OrderId, m => m.OrderId);
        await host.WaitForSentAsync<OrderCancelled>(order.OrderId, m => m.OrderId);
        Assert.Equal($"{state}>Cancelled:CancelOrder", $"{saga.History[^1].From}>{saga.History[^1].To}:{saga.History[^1].Event}");
    }

    [Fact]
    public async Task Cancelling_a_completed_order_changes_nothing()
    {
        await using var host = await OrderSagaHost.StartAsync();
        var order = await AdvanceToConfirmedAsync(host);
        await host.PublishAsync(new ShipmentCreated { OrderId = order.OrderId, Carrier = "DHL", TrackingNumber = "GC1" });
        await host.WaitForStateAsync(order.OrderId, "Completed");

        await host.SendToSagaAsync(new CancelOrder { OrderId = order.OrderId, Reason = "too late", RequestedBy = "customer" });
        await WaitForConsumedAsync<CancelOrder>(host, 1);

        var saga = await host.LoadAsync(order.OrderId);
        Assert.Equal("Completed", saga!.CurrentState);
        Assert.Equal(0, host.SentCount<RefundPayment>(order.OrderId, m => m.OrderId));
        Assert.Equal(0, host.SentCount<ReleaseInventory>(order.OrderId, m => m.OrderId));
    }

    [Fact]
    public async Task A_payment_that_arrives_after_cancellation_is_refunded()
    {
        await using var host = await OrderSagaHost.StartAsync();
        var order = await AdvanceToFraudCheckAsync(host);
        await host.SendToSagaAsync(new CancelOrder { OrderId = order.OrderId, Reason = "no longer needed", RequestedBy = "customer" });
        await host.WaitForStateAsync(order.OrderId, "Cancelled");

        await host.PublishAsync(new PaymentCompleted { OrderId = order.OrderId, Amount = order.Total, Currency = "EUR", GatewayReference = "ch_late" });

        await host.WaitForSentAsync<RefundPayment>(order.OrderId, m => m.OrderId);
        Assert.Equal("Cancelled", (await host.LoadAsync(order.OrderId))!.CurrentState);
    }

    [Fact]
    public async Task A_faulting_payment_consumer_makes_the_saga_compensate()
    {
        await using var host = await OrderSagaHost.StartAsync(bus =>
            bus.AddConsumer<ThrowingChargePaymentConsumer>().Endpoint(e => e.Name = "charge-payment"));
        var order = await AdvanceToFraudCheckAsync(host);

        await host.PublishAsync(new FraudAssessed { OrderId = order.OrderId, Score = 0.01, Reasons = [] });
        var saga = await host.WaitForStateAsync(order.OrderId, "Failed");

        Assert.Contains("Payment faulted", saga.FailureReason);
        Assert.Contains("gateway exploded", saga.FailureReason);
        await host.WaitForSentAsync<ReleaseInventory>(order.OrderId, m => m.OrderId);
        await host.WaitForSentAsync<RefundPayment>(order.OrderId, m => m.OrderId);
    }

    sealed class ThrowingChargePaymentConsumer : IConsumer<ChargePayment>
    {
        public Task Consume(ConsumeContext<ChargePayment> context) => throw new InvalidOperationException("gateway exploded");
    }

    static async Task WaitForConsumedAsync<T>(OrderSagaHost host, int count)
        where T : class
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (host.Harness.Consumed.Select<T>().Count() < count && DateTime.UtcNow < until)
            await Task.Delay(25);
        Assert.True(host.Harness.Consumed.Select<T>().Count() >= count, $"expected {count} {typeof(T).Name} consumed");
        // Consumed is recorded before the saga's transaction finishes; give it a moment to commit.
        await host.Harness.InactivityTask;
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
        return order;
    }

    static async Task<SubmitOrder> AdvanceToPaymentAsync(OrderSagaHost host)
    {
        var order = await AdvanceToFraudCheckAsync(host);
        await host.PublishAsync(new FraudAssessed { OrderId = order.OrderId, Score = 0.01, Reasons = [] });
        await host.WaitForStateAsync(order.OrderId, "AwaitingPayment");
        return order;
    }

    static async Task<SubmitOrder> AdvanceToConfirmedAsync(OrderSagaHost host)
    {
        var order = await AdvanceToPaymentAsync(host);
        await host.PublishAsync(new PaymentCompleted { OrderId = order.OrderId, Amount = order.Total, Currency = "EUR", GatewayReference = "ch_1" });
        await host.WaitForStateAsync(order.OrderId, "Confirmed");
        return order;
    }
}
