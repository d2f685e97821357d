using GlobalCommerce.Contracts.Erasure;
using GlobalCommerce.Contracts.Orders;
using GlobalCommerce.Platform.Messaging;
using GlobalCommerce.Sagas.Erasure;
using GlobalCommerce.Sagas.Orders;
using GlobalCommerce.Sagas.Persistence;
using GlobalCommerce.Sagas.Tests.Erasure;
using GlobalCommerce.Sagas.Tests.Orders;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace GlobalCommerce.Sagas.Tests.Persistence;

// One sweeper type serves both sagas: it publishes each saga's own expiry event for its due rows only, earliest
// deadline first, at most BatchSize per sweep.
public sealed class DeadlineSweeperTests
{
    [Fact]
    public async Task Due_order_deadlines_become_OrderDeadlineExpired_earliest_first_one_batch_at_a_time()
    {
        await using var host = await OrderSagaHost.StartAsync();
        var first = OrderSagaHost.NewOrder();
        var second = OrderSagaHost.NewOrder();
        await host.SendToSagaAsync(first);
        var firstSaga = await host.WaitForStateAsync(first.OrderId, "Pending");
        await host.SendToSagaAsync(second);
        await host.WaitForStateAsync(second.OrderId, "Pending");

        var expiry = new DeadlineExpiry<OrderState, OrderDeadlineExpired>("order",
            (orderId, deadlineAt) => new OrderDeadlineExpired { OrderId = orderId, DeadlineAt = deadlineAt });
        var now = Sweeper<OrderState, OrderDbContext, OrderDeadlineExpired>(host.Services, expiry, TimeSpan.Zero, batchSize: 1);
        Assert.Equal(0, await now.SweepAsync(CancellationToken.None));

        var anHourOn = Sweeper<OrderState, OrderDbContext, OrderDeadlineExpired>(host.Services, expiry, TimeSpan.FromHours(1), batchSize: 1);
        Assert.Equal(1, await anHourOn.SweepAsync(CancellationToken.None));
        Assert.True(await host.Harness.Published.Any<OrderDeadlineExpired>(m =>
            m.Context.Message.OrderId == first.OrderId && m.Context.Message.DeadlineAt == firstSaga.DeadlineAt));
        Assert.False(await host.Harness.Published.Any<OrderDeadlineExpired>(m => m.Context.Message.OrderId == second.OrderId));
    }

    [Fact]
    public async Task Due_erasure_deadlines_become_ErasureDeadlineExpired()
    {
        await using var host = await ErasureSagaHost.StartAsync();
        var erasure = ErasureSagaHost.NewErasure();
        await host.StartErasureAsync(erasure);
        var saga = await host.WaitForStateAsync(erasure.ErasureId, "Erasing");

        var expiry = new DeadlineExpiry<ErasureState, ErasureDeadlineExpired>("erasure",
            (erasureId, deadlineAt) => new ErasureDeadlineExpired { ErasureId = erasureId, DeadlineAt = deadlineAt });
        var anHourOn = Sweeper<ErasureState, ErasureDbContext, ErasureDeadlineExpired>(host.Services, expiry, TimeSpan.FromHours(1), batchSize: 200);
        Assert.Equal(1, await anHourOn.SweepAsync(CancellationToken.None));
        Assert.True(await host.Harness.Published.Any<ErasureDeadlineExpired>(m =>
            m.Context.Message.ErasureId == erasure.ErasureId && m.Context.Message.DeadlineAt == saga.DeadlineAt));
    }

    [Fact]
    public async Task A_deadline_the_saga_still_holds_is_published_once_then_again_only_after_the_republish_interval()
    {
        await using var host = await OrderSagaHost.StartAsync();
        var order = OrderSagaHost.NewOrder();
        await host.SendToSagaAsync(order);
        var saga = await host.WaitForStateAsync(order.OrderId, "Pending");

        // Nothing consumes this expiry: the saga keeps holding its deadline, as it does while the expiry is queued in front of it.
        var expiry = new DeadlineExpiry<OrderState, UnhandledExpiry>("order", (orderId, deadlineAt) => new UnhandledExpiry(orderId, deadlineAt));
        var clock = new ManualClock(saga.DeadlineAt!.Value + TimeSpan.FromMilliseconds(1));
        var options = new SweeperOptions { Interval = TimeSpan.FromSeconds(1), RepublishInterval = TimeSpan.FromSeconds(10) };
        var sweeper = Sweeper<OrderState, OrderDbContext, UnhandledExpiry>(host.Services, expiry, clock, options);

        var perTick = new List<int>();
        for (var tick = 0; tick < 10; tick++, clock.Advance(options.Interval))
            perTick.Add(await sweeper.SweepAsync(CancellationToken.None));
        Assert.Equal([1, 0, 0, 0, 0, 0, 0, 0, 0, 0], perTick);

        // Ten seconds after the first: the saga still holds the deadline, so the expiry may have been lost. Once more, then quiet again.
        Assert.Equal(1, await sweeper.SweepAsync(CancellationToken.None));
        clock.Advance(options.Interval);
        Assert.Equal(0, await sweeper.SweepAsync(CancellationToken.None));
        Assert.Equal(2, host.Harness.Published.Select<UnhandledExpiry>(m => m.Context.Message.OrderId == order.OrderId).Count());
    }

    [Fact]
    public async Task Deadlines_already_published_do_not_crowd_out_the_next_batch()
    {
        await using var host = await OrderSagaHost.StartAsync();
        var first = OrderSagaHost.NewOrder();
        var second = OrderSagaHost.NewOrder();
        await host.SendToSagaAsync(first);
        await host.WaitForStateAsync(first.OrderId, "Pending");
        await host.SendToSagaAsync(second);
        var last = await host.WaitForStateAsync(second.OrderId, "Pending");

        var expiry = new DeadlineExpiry<OrderState, UnhandledExpiry>("order", (orderId, deadlineAt) => new UnhandledExpiry(orderId, deadlineAt));
        var clock = new ManualClock(last.DeadlineAt!.Value + TimeSpan.FromMilliseconds(1));
        var sweeper = Sweeper<OrderState, OrderDbContext, UnhandledExpiry>(host.Services, expiry, clock, new SweeperOptions { BatchSize = 1 });

        Assert.Equal(1, await sweeper.SweepAsync(CancellationToken.None));
        Assert.Equal(1, await sweeper.SweepAsync(CancellationToken.None));
        Assert.Equal(0, await sweeper.SweepAsync(CancellationToken.None));
        var published = host.Harness.Published.Select<UnhandledExpiry>().Select(m => m.Context.Message.OrderId).ToList();
        Assert.Equal([first.OrderId, second.OrderId], published.Where(id => id == first.OrderId || id == second.OrderId));
    }

    [Fact]
    public void The_republish_interval_defaults_to_the_larger_of_ten_seconds_and_two_ticks()
    {
        Assert.Equal(TimeSpan.FromSeconds(10), new SweeperOptions { Interval = TimeSpan.FromMilliseconds(200) }.RepublishAfter);
        Assert.Equal(TimeSpan.FromMinutes(1), new SweeperOptions { Interval = TimeSpan.FromSeconds(30) }.RepublishAfter);
        Assert.Equal(TimeSpan.FromSeconds(3), new SweeperOptions { RepublishInterval = TimeSpan.FromSeconds(3) }.RepublishAfter);
    }

    static DeadlineSweeper<TSaga, TDbContext, TExpired> Sweeper<TSaga, TDbContext, TExpired>(IServiceProvider services,
        DeadlineExpiry<TSaga, TExpired> expiry, TimeProvider clock, SweeperOptions options)
        where TSaga : class, ISagaDeadline
        where TDbContext : DbContext
        where TExpired : class =>
        new(services.GetRequiredService<IServiceScopeFactory>(), options, expiry, new QueueWaitMonitor(clock), clock,
            NullLogger<DeadlineSweeper<TSaga, TDbContext, TExpired>>.Instance);

    static DeadlineSweeper<TSaga, TDbContext, TExpired> Sweeper<TSaga, TDbContext, TExpired>(IServiceProvider services,
        DeadlineExpiry<TSaga, TExpired> expiry, TimeSpan ahead, int batchSize)
        where TSaga : class, ISagaDeadline
        where TDbContext : DbContext
        where TExpired : class =>
        Sweeper<TSaga, TDbContext, TExpired>(services, expiry, new Ahead(ahead), new SweeperOptions { BatchSize = batchSize });

    // The system clock moved forward, so that deadlines the saga set a moment ago are due.
    sealed class Ahead(TimeSpan ahead) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + ahead;
    }

}

// A clock that moves only when told to.
public sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;

    public void Advance(TimeSpan by) => now += by;
}

// An expiry event no saga consumes.
public sealed record UnhandledExpiry(Guid OrderId, DateTimeOffset DeadlineAt);
