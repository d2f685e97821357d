using GlobalCommerce.Consumers.Inventory;
using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Messaging;
using GlobalCommerce.Consumers.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Tests.Inventory;

static class InventoryTestHost
{
    public static Task<ConsumerTestHost> StartAsync(DatabaseProvider provider, int concurrentMessageLimit = 0) =>
        ConsumerTestHost.StartAsync(provider, (bus, configuration, options) => bus.AddInventory(configuration, options),
            concurrentMessageLimit: concurrentMessageLimit);

    public static async Task<Guid> StockAsync(this ConsumerTestHost host, int onHand)
    {
        var productId = Guid.NewGuid();
        await host.SaveAsync<InventoryDbContext>(new StockItem { ProductId = productId, OnHand = onHand });
        return productId;
    }

    public static Task<StockItem> StockItemAsync(this ConsumerTestHost host, Guid productId) =>
        host.QueryAsync<InventoryDbContext, StockItem>(db => db.StockItems.AsNoTracking().SingleAsync(s => s.ProductId == productId));

    public static Task<Allocation?> AllocationAsync(this ConsumerTestHost host, Guid orderId) =>
        host.QueryAsync<InventoryDbContext, Allocation?>(db =>
            db.Allocations.AsNoTracking().Include(a => a.Lines).SingleOrDefaultAsync(a => a.OrderId == orderId));

    public static Task ReserveAsync(this ConsumerTestHost host, Guid orderId, params (Guid ProductId, int Quantity)[] lines) =>
        host.SendAsync(QueueNames.ReserveInventory, new ReserveInventory
        {
            OrderId = orderId,
            Lines = lines.Select(l => new StockLine { ProductId = l.ProductId, Quantity = l.Quantity }).ToList(),
        });

    public static async Task<InventoryReserved> ReservedAsync(this ConsumerTestHost host, Guid orderId, int count = 1) =>
        (await host.WaitForPublishedAsync<InventoryReserved>(m => m.OrderId == orderId, count))[0];

    public static async Task<InventoryReservationFailed> ReservationFailedAsync(this ConsumerTestHost host, Guid orderId, int count = 1) =>
        (await host.WaitForPublishedAsync<InventoryReservationFailed>(m => m.OrderId == orderId, count))[0];
}
