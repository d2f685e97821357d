using GlobalCommerce.Consumers.Inventory;
using GlobalCommerce.Consumers.Tests.Vendors;
using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Messaging;
using Microsoft.EntityFrameworkCore;
using static GlobalCommerce.Consumers.Tests.Vendors.InventorySyncHost;

namespace GlobalCommerce.Consumers.Tests.Inventory;

// The "inventory" consumer group: a vendor's count per warehouse, OnHand as their sum, versions, reservations, reorders.
public class StockOnInventoryUpdatedConsumerTests
{
    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Warehouse_counts_add_up_to_on_hand_and_untracked_stock_stays_in_the_default_warehouse(DatabaseProvider provider)
    {
        await using var host = await InventorySyncHost.StartAsync(provider);
        var productId = await host.StockAsync(onHand: 7);

        await host.ConsumeAsync<StockOnInventoryUpdatedConsumer, InventoryUpdated>(
            Event(Update(productId, "BER", 10, version: 1)), Event(Update(productId, "HAM", 5, version: 2)), Event(Update(productId, "BER", 4, version: 3)));

        var rows = await host.WarehousesAsync(productId);
        Assert.Equal([("BER", 4, 3L), ("HAM", 5, 2L), (WarehouseStock.DefaultWarehouse, 7, 0L)], rows.Select(r => (r.Warehouse, r.Quantity, r.Version)));
        Assert.Equal(16, (await host.StockItemAsync(productId)).OnHand);
    }

    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task The_same_event_twice_and_an_older_version_after_a_newer_change_nothing(DatabaseProvider provider)
    {
        await using var host = await InventorySyncHost.StartAsync(provider);
        var productId = await host.StockAsync(onHand: 0);
        var newer = Event(Update(productId, "BER", 10, version: 5, reorderPoint: 20));

        await host.ConsumeAsync<StockOnInventoryUpdatedConsumer, InventoryUpdated>(newer);
        await host.ConsumeAsync<StockOnInventoryUpdatedConsumer, InventoryUpdated>(newer);
        await host.ConsumeAsync<StockOnInventoryUpdatedConsumer, InventoryUpdated>(Event(Update(productId, "BER", 99, version: 4)), newer);

        var row = Assert.Single(await host.WarehousesAsync(productId));
        Assert.Equal((10, 20, 5L), (row.Quantity, row.ReorderPoint, row.Version));
        Assert.Equal(10, (await host.StockItemAsync(productId)).OnHand);
        // The one crossing of the reorder point was reported once, not once per copy.
        Assert.Single(await host.ProducedAsync<InventoryDbContext, ReorderPointReached>());
    }

    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task A_count_below_the_units_reserved_for_orders_is_refused_once_with_the_reason(DatabaseProvider provider)
    {
        await using var host = await InventorySyncHost.StartAsync(provider);
        var productId = await host.StockAsync(onHand: 0);
        await host.ConsumeAsync<StockOnInventoryUpdatedConsumer, InventoryUpdated>(Event(Update(productId, "BER", 10, version: 1)));
        var orderId = Guid.NewGuid();
        await host.ReserveAsync(orderId, (productId, 8));
        await host.ReservedAsync(orderId);
        var tooFew = Event(Update(productId, "BER", 5, version: 2, line: 7));

        await host.ConsumeAsync<StockOnInventoryUpdatedConsumer, InventoryUpdated>(tooFew);
        await host.ConsumeAsync<StockOnInventoryUpdatedConsumer, InventoryUpdated>(tooFew);

        var stock = await host.StockItemAsync(productId);
        Assert.Equal((10, 8), (stock.OnHand, stock.Reserved));
        Assert.Equal(10, Assert.Single(await host.WarehousesAsync(productId)).Quantity);
        var rejected = Assert.Single(await host.ProducedAsync<InventoryDbContext, InventoryUpdateRejected>());
        Assert.Equal((tooFew.Message.UploadId, 7, 5, 8), (rejected.UploadId, rejected.Line, rejected.Quantity, rejected.Reserved));
        Assert.Contains("reserved for orders in flight", rejected.Reason);

        // Enough for the reservations is applied.
        await host.ConsumeAsync<StockOnInventoryUpdatedConsumer, InventoryUpdated>(Event(Update(productId, "BER", 8, version: 3)));
        Assert.Equal(8, (await host.StockItemAsync(productId)).OnHand);
    }

    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Reorder_point_is_reported_once_per_crossing_by_vendor_counts_and_by_orders(DatabaseProvider provider)
    {
        await using var host = await InventorySyncHost.StartAsync(provider);
        var productId = await host.StockAsync(onHand: 0);
        async Task CountAsync(int quantity, long version) =>
            await host.ConsumeAsync<StockOnInventoryUpdatedConsumer, InventoryUpdated>(Event(Update(productId, "BER", quantity, version, reorderPoint: 5)));

        await CountAsync(10, 1);
        await CountAsync(4, 2);
        await CountAsync(3, 3);
        await CountAsync(8, 4);
        var orderId = Guid.NewGuid();
        await host.ReserveAsync(orderId, (productId, 6));
        await host.ReservedAsync(orderId);
        await host.SendAsync(QueueNames.CommitInventory, new CommitInventory { OrderId = orderId });
        await host.WaitForConsumedAsync<CommitInventory>(m => m.OrderId == orderId);

        var reached = await host.ProducedAsync<InventoryDbContext, ReorderPointReached>();
        Assert.Equal([(4, ReorderPointReached.CauseVendorUpdate), (2, ReorderPointReached.CauseOrders)], reached.Select(r => (r.Quantity, r.Cause)));
        Assert.All(reached, r => Assert.Equal((Vendor, "BER", 5, Sku(productId)), (r.VendorId, r.Warehouse, r.ReorderPoint, r.Sku)));
        Assert.Equal(2, Assert.Single(await host.WarehousesAsync(productId)).Quantity);
    }

    [Fact]
    public async Task A_commit_takes_from_the_fullest_warehouses_and_a_release_of_the_paid_order_puts_the_units_back()
    {
        await using var host = await InventorySyncHost.StartAsync(DatabaseProvider.Sqlite);
        var productId = await host.StockAsync(onHand: 0);
        await host.ConsumeAsync<StockOnInventoryUpdatedConsumer, InventoryUpdated>(
            Event(Update(productId, "BER", 4, version: 1)), Event(Update(productId, "HAM", 3, version: 2)));
        var orderId = Guid.NewGuid();
        await host.ReserveAsync(orderId, (productId, 6));
        await host.ReservedAsync(orderId);

        await host.SendAsync(QueueNames.CommitInventory, new CommitInventory { OrderId = orderId });
        await host.WaitForConsumedAsync<CommitInventory>(m => m.OrderId == orderId);
        Assert.Equal([("BER", 0), ("HAM", 1)], (await host.WarehousesAsync(productId)).Select(r => (r.Warehouse, r.Quantity)));
        Assert.Equal(1, (await host.StockItemAsync(productId)).OnHand);

        await host.SendAsync(QueueNames.ReleaseInventory, new ReleaseInventory { OrderId = orderId, Reason = "Refunded" });
        await host.WaitForPublishedAsync<InventoryReleased>(m => m.OrderId == orderId);
        Assert.Equal([("BER", 4), ("HAM", 3)], (await host.WarehousesAsync(productId)).Select(r => (r.Warehouse, r.Quantity)));
        Assert.Equal(7, (await host.StockItemAsync(productId)).OnHand);
    }

    // A commit reads the product's warehouse rows only while it holds the product's stock row, which a vendor count takes
    // first too: counts arriving while orders are committed are never overwritten by a pick taken from a stale read.
    [Fact]
    public async Task Commits_racing_vendor_counts_keep_the_warehouses_adding_up_to_on_hand()
    {
        await using var host = await InventorySyncHost.StartAsync(DatabaseProvider.Postgres, concurrentMessageLimit: 8);
        var productId = await host.StockAsync(onHand: 0);
        await host.ConsumeAsync<StockOnInventoryUpdatedConsumer, InventoryUpdated>(
            Event(Update(productId, "BER", 40, version: 1)), Event(Update(productId, "HAM", 40, version: 2)));
        var orders = Enumerable.Range(0, 16).Select(_ => Guid.NewGuid()).ToList();
        foreach (var orderId in orders)
            await host.ReserveAsync(orderId, (productId, 1));
        foreach (var orderId in orders)
            await host.ReservedAsync(orderId);

        var counts = Task.Run(async () =>
        {
            for (var version = 3; version <= 10; version++)
                await host.ConsumeAsync<StockOnInventoryUpdatedConsumer, InventoryUpdated>(Event(Update(productId, "BER", 50 + version, version)));
        });
        await Task.WhenAll(orders.Select(orderId => host.SendAsync(QueueNames.CommitInventory, new CommitInventory { OrderId = orderId })));
        await counts;
        await host.WaitForConsumedAsync<CommitInventory>(m => orders.Contains(m.OrderId), orders.Count);

        var stock = await host.StockItemAsync(productId);
        var warehouses = await host.WarehousesAsync(productId);
        var picked = await host.QueryAsync<InventoryDbContext, int>(db => db.AllocationPicks.Where(p => p.ProductId == productId).SumAsync(p => p.Quantity));
        Assert.Equal(0, stock.Reserved);
        Assert.Equal(orders.Count, picked);
        Assert.Equal(stock.OnHand, warehouses.Sum(w => w.Quantity));
    }
}
