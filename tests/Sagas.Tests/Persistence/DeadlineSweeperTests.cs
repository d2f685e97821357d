using GlobalCommerce.Contracts.Erasure;
using GlobalCommerce.Contracts.Orders;
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

    static DeadlineSweeper<TSaga, TDbContext, TExpired> Sweeper<TSaga, TDbContext, TExpired>(IServiceProvider services,
        DeadlineExpiry<TSaga, TExpired> expiry, TimeSpan ahead, int batchSize)
        where TSaga : class, ISagaDeadline
        where TDbContext : DbContext
        where TExpired : class =>
        new(services.GetRequiredService<IServiceScopeFactory>(), new SweeperOptions { BatchSize = batchSize }, expiry, new Ahead(ahead),
            NullLogger<DeadlineSweeper<TSaga, TDbContext, TExpired>>.Instance);

    // The system clock moved forward, so that deadlines the saga set a moment ago are due.
    sealed class Ahead(TimeSpan ahead) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + ahead;
    }
}
