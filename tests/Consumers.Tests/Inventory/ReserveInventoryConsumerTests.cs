using GlobalCommerce.Consumers.Inventory;
using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Messaging.Outbox;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Tests.Inventory;

public class ReserveInventoryConsumerTests
{
    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Concurrent_orders_for_the_last_units_never_oversell(DatabaseProvider provider)
    {
        await using var host = await InventoryTestHost.StartAsync(provider, concurrentMessageLimit: 40);
        var productId = await host.StockAsync(onHand: 10);
        var orders = Enumerable.Range(0, 40).Select(_ => Guid.NewGuid()).ToList();

        using var stop = new CancellationTokenSource();
        var lowestAvailable = WatchLowestAvailableAsync(host, productId, stop.Token);
        await Task.WhenAll(orders.Select(orderId => host.ReserveAsync(orderId, (productId, 1))));

        var reserved = await host.WaitForPublishedAsync<InventoryReserved>(m => orders.Contains(m.OrderId), 10);
        var failed = await host.WaitForPublishedAsync<InventoryReservationFailed>(m => orders.Contains(m.OrderId), 30);
        await stop.CancelAsync();

        Assert.Equal(10, reserved.Count);
        Assert.Equal(30, failed.Count);
        Assert.Empty(reserved.Select(m => m.OrderId).Intersect(failed.Select(m => m.OrderId)));
        Assert.All(failed, m => Assert.Equal([productId], m.UnavailableProductIds));
        var stock = await host.StockItemAsync(productId);
        Assert.Equal((10, 10, 0), (stock.OnHand, stock.Reserved, stock.Available));
        Assert.True(await lowestAvailable >= 0);
        var allocations = await host.QueryAsync<InventoryDbContext, List<Allocation>>(db => db.Allocations.AsNoTracking().ToListAsync());
        Assert.Equal(10, allocations.Count(a => a.Status == AllocationStatus.Reserved));
        Assert.Equal(30, allocations.Count(a => a.Status == AllocationStatus.Rejected));
        // On PostgreSQL the reservations in hand at once shared commits (SharedCommit), and the books above still hold.
        if (provider == DatabaseProvider.Postgres)
        {
            var shared = host.Services.GetRequiredService<SharedCommit<InventoryDbContext>>();
            Assert.True(shared.Messages > 0 && shared.Commits < shared.Messages, $"{shared.Commits} commits for {shared.Messages} messages");
        }
    }

    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Concurrent_duplicates_of_one_order_reserve_once(DatabaseProvider provider)
    {
        await using var host = await InventoryTestHost.StartAsync(provider, concurrentMessageLimit: 8);
        var productId = await host.StockAsync(onHand: 100);
        var orderId = Guid.NewGuid();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => host.ReserveAsync(orderId, (productId, 3))));

        await host.ReservedAsync(orderId, count: 8);
        Assert.Empty(host.Published<InventoryReservationFailed>());
        Assert.Equal(3, (await host.StockItemAsync(productId)).Reserved);
        var allocation = await host.AllocationAsync(orderId);
        Assert.Equal(AllocationStatus.Reserved, allocation!.Status);
        Assert.Equal(3, Assert.Single(allocation.Lines).Quantity);
    }

    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Redelivered_reservation_reserves_once_and_answers_the_same(DatabaseProvider provider)
    {
        await using var host = await InventoryTestHost.StartAsync(provider);
        var productId = await host.StockAsync(onHand: 5);
        var orderId = Guid.NewGuid();

        await host.ReserveAsync(orderId, (productId, 2));
        var first = await host.ReservedAsync(orderId);
        await host.ReserveAsync(orderId, (productId, 2));
        await host.ReservedAsync(orderId, count: 2);

        Assert.All(host.Published<InventoryReserved>(m => m.OrderId == orderId), m => Assert.Equal(first.ReservedAt, m.ReservedAt));
        var stock = await host.StockItemAsync(productId);
        Assert.Equal((5, 2, 3), (stock.OnHand, stock.Reserved, stock.Available));
    }

    // The lines reserved before one was refused give their units back in the same transaction (no savepoint).
    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task A_reservation_is_all_or_nothing_across_its_lines(DatabaseProvider provider)
    {
        await using var host = await InventoryTestHost.StartAsync(provider);
        var plentiful = await host.StockAsync(onHand: 1000);
        var scarce = await host.StockAsync(onHand: 2);
        var unknown = Guid.NewGuid();
        var orderId = Guid.NewGuid();

        await host.ReserveAsync(orderId, (plentiful, 5), (scarce, 3), (unknown, 1));

        var failed = await host.ReservationFailedAsync(orderId);
        Assert.Equal(new[] { scarce, unknown }.Order(), failed.UnavailableProductIds.Order());
        Assert.Equal(0, (await host.StockItemAsync(plentiful)).Reserved);
        Assert.Equal(0, (await host.StockItemAsync(scarce)).Reserved);
        Assert.Equal(AllocationStatus.Rejected, (await host.AllocationAsync(orderId))!.Status);
    }

    [Fact]
    public async Task A_rejected_reservation_stays_rejected_when_redelivered_after_a_restock()
    {
        await using var host = await InventoryTestHost.StartAsync(DatabaseProvider.Sqlite);
        var productId = await host.StockAsync(onHand: 1);
        var orderId = Guid.NewGuid();
        await host.ReserveAsync(orderId, (productId, 2));
        await host.ReservationFailedAsync(orderId);

        await host.QueryAsync<InventoryDbContext, int>(db =>
            db.StockItems.Where(s => s.ProductId == productId).ExecuteUpdateAsync(s => s.SetProperty(x => x.OnHand, 50)));
        await host.ReserveAsync(orderId, (productId, 2));

        var again = await host.WaitForPublishedAsync<InventoryReservationFailed>(m => m.OrderId == orderId, 2);
        Assert.All(again, m => Assert.Equal([productId], m.UnavailableProductIds));
        Assert.Empty(host.Published<InventoryReserved>());
        Assert.Equal(0, (await host.StockItemAsync(productId)).Reserved);
    }

    [Fact]
    public async Task Duplicate_lines_for_a_product_are_reserved_as_one()
    {
        await using var host = await InventoryTestHost.StartAsync(DatabaseProvider.Sqlite);
        var productId = await host.StockAsync(onHand: 10);
        var orderId = Guid.NewGuid();

        await host.ReserveAsync(orderId, (productId, 3), (productId, 4));

        await host.ReservedAsync(orderId);
        Assert.Equal(7, (await host.StockItemAsync(productId)).Reserved);
        Assert.Equal(7, Assert.Single((await host.AllocationAsync(orderId))!.Lines).Quantity);
    }

    [Fact]
    public async Task Lines_without_a_positive_quantity_are_refused()
    {
        await using var host = await InventoryTestHost.StartAsync(DatabaseProvider.Sqlite);
        var productId = await host.StockAsync(onHand: 10);
        var other = await host.StockAsync(onHand: 10);
        var orderId = Guid.NewGuid();

        await host.ReserveAsync(orderId, (productId, -3), (other, 1));

        var failed = await host.ReservationFailedAsync(orderId);
        Assert.Equal([productId], failed.UnavailableProductIds);
        Assert.Equal((10, 0), ((await host.StockItemAsync(productId)).Available, (await host.StockItemAsync(other)).Reserved));
    }

    // Samples what shoppers would see while the orders race; the database check constraint is the backstop.
    static async Task<int> WatchLowestAvailableAsync(Support.ConsumerTestHost host, Guid productId, CancellationToken stop)
    {
        var lowest = int.MaxValue;
        while (!stop.IsCancellationRequested)
        {
            var available = await host.QueryAsync<InventoryDbContext, int>(db =>
                db.StockItems.Where(s => s.ProductId == productId).Select(s => s.OnHand - s.Reserved).SingleAsync());
            lowest = Math.Min(lowest, available);
            await Task.Delay(5, CancellationToken.None);
        }

        return lowest;
    }
}
