using GlobalCommerce.Consumers.Inventory;
using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Messaging;

namespace GlobalCommerce.Consumers.Tests.Inventory;

public class ReleaseInventoryConsumerTests
{
    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Release_after_reserve_restores_available_stock_once(DatabaseProvider provider)
    {
        await using var host = await InventoryTestHost.StartAsync(provider);
        var productId = await host.StockAsync(onHand: 10);
        var orderId = Guid.NewGuid();
        await host.ReserveAsync(orderId, (productId, 4));
        await host.ReservedAsync(orderId);
        Assert.Equal(6, (await host.StockItemAsync(productId)).Available);

        await ReleaseAsync(host, orderId);
        await ReleaseAsync(host, orderId, count: 2);

        var stock = await host.StockItemAsync(productId);
        Assert.Equal((10, 0, 10), (stock.OnHand, stock.Reserved, stock.Available));
        Assert.Equal(AllocationStatus.Released, (await host.AllocationAsync(orderId))!.Status);
    }

    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Release_before_reserve_leaves_a_tombstone_so_the_late_reservation_reserves_nothing(DatabaseProvider provider)
    {
        await using var host = await InventoryTestHost.StartAsync(provider);
        var productId = await host.StockAsync(onHand: 10);
        var orderId = Guid.NewGuid();

        await ReleaseAsync(host, orderId);
        await host.ReserveAsync(orderId, (productId, 4));

        var failed = await host.ReservationFailedAsync(orderId);
        Assert.Empty(failed.UnavailableProductIds);
        Assert.Empty(host.Published<InventoryReserved>());
        Assert.Equal(0, (await host.StockItemAsync(productId)).Reserved);
        var allocation = await host.AllocationAsync(orderId);
        Assert.Equal(AllocationStatus.Released, allocation!.Status);
        Assert.Empty(allocation.Lines);
    }

    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Release_after_commit_returns_the_goods_to_on_hand(DatabaseProvider provider)
    {
        await using var host = await InventoryTestHost.StartAsync(provider);
        var productId = await host.StockAsync(onHand: 10);
        var orderId = Guid.NewGuid();
        await host.ReserveAsync(orderId, (productId, 4));
        await host.ReservedAsync(orderId);
        await host.SendAsync(QueueNames.CommitInventory, new CommitInventory { OrderId = orderId });
        await host.WaitForConsumedAsync<CommitInventory>(m => m.OrderId == orderId);
        Assert.Equal(6, (await host.StockItemAsync(productId)).OnHand);

        await ReleaseAsync(host, orderId);
        await ReleaseAsync(host, orderId, count: 2);

        var stock = await host.StockItemAsync(productId);
        Assert.Equal((10, 0, 10), (stock.OnHand, stock.Reserved, stock.Available));
    }

    static async Task ReleaseAsync(Support.ConsumerTestHost host, Guid orderId, int count = 1)
    {
        await host.SendAsync(QueueNames.ReleaseInventory, new ReleaseInventory { OrderId = orderId, Reason = "Order cancelled" });
        await host.WaitForPublishedAsync<InventoryReleased>(m => m.OrderId == orderId, count);
    }
}
