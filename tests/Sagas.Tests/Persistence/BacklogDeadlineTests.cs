using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Contracts.Orders;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Messaging;
using GlobalCommerce.Sagas.Orders;
using GlobalCommerce.Sagas.Persistence;
using GlobalCommerce.Sagas.Tests.Orders;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace GlobalCommerce.Sagas.Tests.Persistence;

// A deadline must not fire for an order whose command (or its reply) is merely queued: the sweeper counts a waiting
// state's deadline from DeadlineAt + the observed wait of the queues it waits on, and only while they are being consumed.
public sealed class BacklogDeadlineTests
{
    static readonly string ReserveQueue = QueueNames.ReserveInventory.AbsolutePath;
    static readonly string SagaQueue = QueueNames.OrderSaga.AbsolutePath;

    [Fact]
    public async Task A_backlogged_step_queue_holds_the_deadline_back_until_the_backlog_clears_then_the_saga_re_sends()
    {
        await using var host = await OrderSagaHost.StartAsync();
        var (order, clock) = await PendingOrderAsync(host);
        var waits = new QueueWaitMonitor(clock);
        var sweeper = Sweeper(host, waits, clock);

        // Five seconds past the deadline, but reserve-inventory's messages wait twenty seconds before they are consumed.
        waits.Record(ReserveQueue, TimeSpan.FromSeconds(20), clock.GetUtcNow());
        Assert.Equal(0, await sweeper.SweepAsync(CancellationToken.None));
        clock.Advance(TimeSpan.FromSeconds(10));
        waits.Record(ReserveQueue, TimeSpan.FromSeconds(20), clock.GetUtcNow());
        Assert.Equal(0, await sweeper.SweepAsync(CancellationToken.None));
        Assert.Equal(1, host.SentCount<ReserveInventory>(order.OrderId, m => m.OrderId));

        // The backlog has drained: the deadline is overdue by any measure, and the saga does what a deadline means.
        waits.Record(ReserveQueue, TimeSpan.FromMilliseconds(5), clock.GetUtcNow());
        Assert.Equal(1, await sweeper.SweepAsync(CancellationToken.None));
        await host.WaitForSentAsync<ReserveInventory>(order.OrderId, m => m.OrderId, count: 2);
    }

    [Fact]
    public async Task A_backlog_in_the_saga_queue_holds_the_deadline_back_as_well()
    {
        await using var host = await OrderSagaHost.StartAsync();
        var (_, clock) = await PendingOrderAsync(host);
        var waits = new QueueWaitMonitor(clock);
        var sweeper = Sweeper(host, waits, clock);

        // Neither queue alone explains five seconds past the deadline; the reply waits in both, one after the other.
        waits.Record(ReserveQueue, TimeSpan.FromSeconds(3), clock.GetUtcNow());
        waits.Record(SagaQueue, TimeSpan.FromSeconds(3), clock.GetUtcNow());
        Assert.Equal(0, await sweeper.SweepAsync(CancellationToken.None));

        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, await sweeper.SweepAsync(CancellationToken.None));
    }

    [Fact]
    public async Task With_no_recent_observation_the_deadline_fires_as_it_always_did()
    {
        await using var host = await OrderSagaHost.StartAsync();
        var (order, clock) = await PendingOrderAsync(host);

        // Nothing observed at all.
        Assert.Equal(1, await Sweeper(host, new QueueWaitMonitor(clock), clock).SweepAsync(CancellationToken.None));

        // A huge backlog, last seen longer ago than the window: nothing consumes that queue any more, so it excuses nothing.
        var waits = new QueueWaitMonitor(clock);
        waits.Record(ReserveQueue, TimeSpan.FromHours(1), clock.GetUtcNow() - new SweeperOptions().QueueWaitWindow - TimeSpan.FromSeconds(1));
        Assert.Equal(1, await Sweeper(host, waits, clock).SweepAsync(CancellationToken.None));
        Assert.True(await host.Harness.Published.Any<OrderDeadlineExpired>(m => m.Context.Message.OrderId == order.OrderId));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_backlog_holds_back_only_the_states_that_wait_on_it(DatabaseProvider provider)
    {
        await using var host = await OrderSagaHost.StartAsync(database: TestDatabases.For(provider));
        var (pending, _) = await PendingOrderAsync(host);
        var checking = OrderSagaHost.NewOrder();
        await host.SendToSagaAsync(checking);
        await host.WaitForStateAsync(checking.OrderId, "Pending");
        await host.PublishAsync(new InventoryReserved { OrderId = checking.OrderId, ReservedAt = DateTimeOffset.UtcNow });
        var fraudCheck = await host.WaitForStateAsync(checking.OrderId, "AwaitingFraudCheck");
        var clock = new ManualClock(fraudCheck.DeadlineAt!.Value + TimeSpan.FromSeconds(5));
        var waits = new QueueWaitMonitor(clock);
        waits.Record(ReserveQueue, TimeSpan.FromMinutes(1), clock.GetUtcNow());

        Assert.Equal(1, await Sweeper(host, waits, clock).SweepAsync(CancellationToken.None));
        Assert.True(await host.Harness.Published.Any<OrderDeadlineExpired>(m => m.Context.Message.OrderId == checking.OrderId));
        Assert.False(await host.Harness.Published.Any<OrderDeadlineExpired>(m => m.Context.Message.OrderId == pending.OrderId));
    }

    [Fact]
    public void The_order_saga_waits_on_its_command_queue_then_its_own_and_the_fraud_review_on_no_queue()
    {
        var shape = new OrderStateMachine(new OrderSagaOptions(), TimeProvider.System).Shape;

        Assert.Equal([ReserveQueue, SagaQueue], shape.AwaitedQueues["Pending"]);
        Assert.Equal([QueueNames.ChargePayment.AbsolutePath, SagaQueue], shape.AwaitedQueues["AwaitingPayment"]);
        Assert.False(shape.AwaitedQueues.ContainsKey("AwaitingFraudReview"));
        Assert.Equal(shape.Waiting.Count(step => step.Queue is not null), shape.AwaitedQueues.Count);
    }

    // An order in Pending (ReserveInventory sent and unanswered), and a clock five seconds past its deadline.
    static async Task<(SubmitOrder Order, ManualClock Clock)> PendingOrderAsync(OrderSagaHost host)
    {
        var order = OrderSagaHost.NewOrder();
        await host.SendToSagaAsync(order);
        var saga = await host.WaitForStateAsync(order.OrderId, "Pending");
        await host.WaitForSentAsync<ReserveInventory>(order.OrderId, m => m.OrderId);
        return (order, new ManualClock(saga.DeadlineAt!.Value + TimeSpan.FromSeconds(5)));
    }

    // The sweeper as the worker registers it for orders, on a clock of the test's own.
    static DeadlineSweeper<OrderState, OrderDbContext, OrderDeadlineExpired> Sweeper(OrderSagaHost host, QueueWaitMonitor waits, TimeProvider clock) =>
        new(host.Services.GetRequiredService<IServiceScopeFactory>(), new SweeperOptions(),
            OrderSagaRegistration.DeadlineExpiry(host.Services.GetRequiredService<OrderStateMachine>().Shape), waits, clock,
            NullLogger<DeadlineSweeper<OrderState, OrderDbContext, OrderDeadlineExpired>>.Instance);
}
