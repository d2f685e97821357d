using GlobalCommerce.Consumers.Catalog;
using GlobalCommerce.Consumers.Inventory;
using GlobalCommerce.Consumers.Notifications;
using GlobalCommerce.Consumers.Tests.Support;
using GlobalCommerce.Consumers.Vendors;
using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Streams;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Consumers.Tests.Vendors;

// The domains of flow 4 as a worker registers them (inventory, catalog, vendor and notifications, with their consumer
// groups and the stream engine's producers), over databases of this test's own. The groups' consumers are called with
// batches built by the test, so a copy or a stale event is delivered exactly when the test says.
static class InventorySyncHost
{
    public static readonly Guid Vendor = Guid.NewGuid();

    public static Task<ConsumerTestHost> StartAsync(DatabaseProvider provider, int concurrentMessageLimit = 0) =>
        ConsumerTestHost.StartAsync(provider, (bus, configuration, options) =>
        {
            bus.AddInventory(configuration, options);
            bus.AddCatalogConsumers(configuration, options);
            bus.AddVendors(configuration, options);
            bus.AddNotifications(configuration, options);
        }, concurrentMessageLimit: concurrentMessageLimit);

    public static async Task ConsumeAsync<TConsumer, T>(this ConsumerTestHost host, params StreamContext<T>[] events)
        where TConsumer : class, IStreamBatchConsumer<T>
        where T : class
    {
        await using var scope = host.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<TConsumer>().Consume(StreamEvents.Batch(events));
    }

    public static async Task ConsumeEachAsync<TConsumer, T>(this ConsumerTestHost host, params StreamContext<T>[] events)
        where TConsumer : class, IStreamConsumer<T>
        where T : class
    {
        foreach (var e in events)
        {
            await using var scope = host.Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<TConsumer>().Consume(e);
        }
    }

    public static InventoryUpdated Update(Guid productId, string warehouse, int quantity, long version, decimal price = 10m, int reorderPoint = 0,
        Guid? uploadId = null, int line = 2) => new()
    {
        VendorId = Vendor,
        UploadId = uploadId ?? Guid.NewGuid(),
        Line = line,
        ProductId = productId,
        Sku = Sku(productId),
        Warehouse = warehouse,
        Quantity = quantity,
        Price = price,
        Currency = "EUR",
        ReorderPoint = reorderPoint,
        Version = version,
        OccurredAt = DateTimeOffset.UtcNow,
    };

    public static string Sku(Guid productId) => "SKU-" + productId.ToString("N")[..12];

    public static StreamContext<InventoryUpdated> Event(InventoryUpdated update, Guid? eventId = null) =>
        StreamEvents.Event(update, update.Sku, eventId: eventId);

    public static Task<List<T>> ProducedAsync<TContext, T>(this ConsumerTestHost host)
        where TContext : DbContext
        where T : class =>
        host.QueryAsync<TContext, List<T>>(db => StreamEvents.ProducedAsync<T>(host.Services, db));

    public static Task<List<WarehouseStock>> WarehousesAsync(this ConsumerTestHost host, Guid productId) =>
        host.QueryAsync<InventoryDbContext, List<WarehouseStock>>(db =>
            db.WarehouseStocks.AsNoTracking().Where(w => w.ProductId == productId).OrderBy(w => w.Warehouse).ToListAsync());
}
