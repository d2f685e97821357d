using GlobalCommerce.Consumers.Inventory;
using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Messaging;

namespace GlobalCommerce.Consumers.Tests.Inventory;

public class CommitInventoryConsumerTests
{
    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Committing_twice_takes_the_stock_once(DatabaseProvider provider)
    {
        await using var host = await InventoryTestHost.StartAsync(provider);
        var productId = await host.StockAsync(onHand: 10);
        var orderId = Guid.NewGuid();
        await host.ReserveAsync(orderId, (productId, 3));
        await host.ReservedAsync(orderId);

        await host.SendAsync(QueueNames.CommitInventory, new CommitInventory { OrderId = orderId });
        await host.WaitForConsumedAsync<CommitInventory>(m => m.OrderId == orderId);
        await host.SendAsync(QueueNames.CommitInventory, new CommitInventory { OrderId = orderId });
        await host.WaitForConsumedAsync<CommitInventory>(m => m.OrderId == orderId, 2);

        var stock = await host.StockItemAsync(productId);
        Assert.Equal((7, 0, 7), (stock.OnHand, stock.Reserved, stock.Available));
        Assert.Equal(AllocationStatus.Committed, (await host.AllocationAsync(orderId))!.Status);
    }

    [Fact]
    public async Task Commit_of_a_released_order_moves_no_stock_and_reports_nothing()
    {
        await using var host = await InventoryTestHost.StartAsync(DatabaseProvider.Sqlite);
        var productId = await host.StockAsync(onHand: 10);
        var orderId = Guid.NewGuid();
        await host.ReserveAsync(orderId, (productId, 3));
        await host.ReservedAsync(orderId);
        await host.SendAsync(QueueNames.ReleaseInventory, new ReleaseInventory { OrderId = orderId, Reason = "Payment declined" });
        await host.WaitForPublishedAsync<InventoryReleased>(m => m.OrderId == orderId);

        await host.SendAsync(QueueNames.CommitInventory, new CommitInventory { OrderId = orderId });
        await host.WaitForConsumedAsync<CommitInventory>(m => m.OrderId == orderId);

        Assert.Equal(AllocationStatus.Released, (await host.AllocationAsync(orderId))!.Status);
        var stock = await host.StockItemAsync(productId);
        Assert.Equal((10, 0), (stock.OnHand, stock.Reserved));
    }
}
