using System.Globalization;
using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Platform.Streams;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Inventory;

// Consumer group "inventory": a vendor's count of a SKU in a warehouse becomes that warehouse's stock, and OnHand moves by
// the difference, unless it would fall below the units reserved for orders in flight: then the row is refused and the
// vendor told why. A version not above the row's is a copy or stale and changes nothing.
public sealed class StockOnInventoryUpdatedConsumer(
    InventoryDbContext db,
    IStreamTransaction streams,
    ITopicProducer<InventoryUpdateRejected> rejections,
    ITopicProducer<ReorderPointReached> reorders,
    TimeProvider clock) : IStreamBatchConsumer<InventoryUpdated>
{
    public async Task Consume(StreamBatch<InventoryUpdated> batch)
    {
        var ct = batch.CancellationToken;
        var now = clock.GetUtcNow();
        var productIds = batch.Select(e => e.Message.ProductId).Distinct().ToList();
        var warehouses = batch.Select(e => e.Message.Warehouse).Append(WarehouseStock.DefaultWarehouse).Distinct().ToList();

        await using var transaction = await DomainTransaction.BeginAsync(db, ct);
        await StockLocks.LockAsync(db, productIds, ct);
        var stock = await db.StockItems.Where(s => productIds.Contains(s.ProductId)).ToDictionaryAsync(s => s.ProductId, ct);
        var rows = await db.WarehouseStocks.Where(w => productIds.Contains(w.ProductId) && warehouses.Contains(w.Warehouse))
            .ToDictionaryAsync(w => (w.ProductId, w.Warehouse), ct);
        // Products that have warehouse rows at all: one index probe each (EXISTS), not a scan of every warehouse row of
        // the batch's products, which grows with every upload. A product without a stock item has no units to adopt.
        var tracked = (await db.StockItems.Where(s => productIds.Contains(s.ProductId) && db.WarehouseStocks.Any(w => w.ProductId == s.ProductId))
            .Select(s => s.ProductId).ToListAsync(ct)).ToHashSet();
        streams.Enlist(db);

        foreach (var update in batch.Select(e => e.Message))
        {
            var key = (update.ProductId, update.Warehouse);
            if (rows.TryGetValue(key, out var row) && update.Version <= row.Version)
                continue;
            if (!stock.TryGetValue(update.ProductId, out var item))
                stock[update.ProductId] = item = db.StockItems.Add(new StockItem { ProductId = update.ProductId }).Entity;
            if (tracked.Add(update.ProductId) && item.OnHand > 0)
            {
                // Units counted before this product's warehouses were: they stay, as the default warehouse's.
                var adopted = db.WarehouseStocks.Add(NewRow(update, WarehouseStock.DefaultWarehouse, item.OnHand, now)).Entity;
                rows[(update.ProductId, WarehouseStock.DefaultWarehouse)] = adopted;
                row ??= update.Warehouse == WarehouseStock.DefaultWarehouse ? adopted : null;
            }

            var onHand = item.OnHand - (row?.Quantity ?? 0) + update.Quantity;
            if (onHand < item.Reserved && row is not null)
            {
                row.Version = update.Version;
                await rejections.Produce(Rejected(update, item, row, now), update.Sku, ct);
                continue;
            }

            if (row is null)
                rows[key] = row = db.WarehouseStocks.Add(NewRow(update, update.Warehouse, 0, now)).Entity;
            row.Quantity = update.Quantity;
            row.ReorderPoint = update.ReorderPoint;
            row.Version = update.Version;
            row.VendorId = update.VendorId;
            row.Sku = update.Sku;
            row.UpdatedAt = now;
            item.OnHand = onHand;
            if (row.CrossedReorderPoint())
                await reorders.Produce(Reorder.Of(row, ReorderPointReached.CauseVendorUpdate, now), row.Sku, ct);
        }

        // The batch's warehouse rows in one statement; SaveChanges writes the products' totals and the stream rows.
        await WarehouseStock.Rows.WriteAsync(db, ct);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
    }

    static WarehouseStock NewRow(InventoryUpdated update, string warehouse, int quantity, DateTimeOffset now) => new()
    {
        ProductId = update.ProductId,
        Warehouse = warehouse,
        Quantity = quantity,
        VendorId = update.VendorId,
        Sku = update.Sku,
        UpdatedAt = now,
    };

    static InventoryUpdateRejected Rejected(InventoryUpdated update, StockItem item, WarehouseStock row, DateTimeOffset now) => new()
    {
        VendorId = update.VendorId,
        UploadId = update.UploadId,
        Line = update.Line,
        ProductId = update.ProductId,
        Sku = update.Sku,
        Warehouse = update.Warehouse,
        Quantity = update.Quantity,
        OnHand = item.OnHand,
        Reserved = item.Reserved,
        Reason = string.Create(CultureInfo.InvariantCulture,
            $"{update.Quantity} in this warehouse would leave {item.OnHand - row.Quantity + update.Quantity} on hand in all, below the {item.Reserved} units reserved for orders in flight; the warehouse keeps {row.Quantity}"),
        Version = update.Version,
        OccurredAt = now,
    };
}
