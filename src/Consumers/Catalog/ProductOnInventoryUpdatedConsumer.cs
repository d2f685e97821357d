using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Platform.Streams;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Catalog;

// Consumer group "catalog": a vendor's row sets the product's price and its warehouse's reported units, each only from
// a version newer than the one applied, so copies and stale events change nothing. An order already accepted keeps the
// unit price it was submitted with: orders never read the catalog again. A product whose price or availability changed
// gets a new revision, announced on product-events in the same transaction.
public sealed class ProductOnInventoryUpdatedConsumer(CatalogDbContext db, ProductEvents events) : IStreamBatchConsumer<InventoryUpdated>
{
    public async Task Consume(StreamBatch<InventoryUpdated> batch)
    {
        var ct = batch.CancellationToken;
        var productIds = batch.Select(e => e.Message.ProductId).Distinct().ToList();
        var warehouses = batch.Select(e => e.Message.Warehouse).Distinct().ToList();
        var products = await db.Products.Where(p => productIds.Contains(p.Id)).ToDictionaryAsync(p => p.Id, ct);
        var levels = await db.StockLevels.Where(l => productIds.Contains(l.ProductId) && warehouses.Contains(l.Warehouse))
            .ToDictionaryAsync(l => (l.ProductId, l.Warehouse), ct);

        var before = products.Values.ToDictionary(p => p.Id, p => (p.Price, p.InStock));
        foreach (var update in batch.Select(e => e.Message))
        {
            // A product taken out of the catalog since the upload has nothing left to update.
            if (!products.TryGetValue(update.ProductId, out var product))
                continue;
            if (!levels.TryGetValue((update.ProductId, update.Warehouse), out var level))
                levels[(update.ProductId, update.Warehouse)] = level = db.StockLevels.Add(new ProductStockLevel { ProductId = update.ProductId, Warehouse = update.Warehouse }).Entity;
            if (update.Version > level.Version)
            {
                product.ReportedStock += update.Quantity - level.Quantity;
                product.InStock = product.ReportedStock > 0;
                level.Quantity = update.Quantity;
                level.Version = update.Version;
            }

            if (update.Version > product.Version)
            {
                product.Price = update.Price;
                product.Version = update.Version;
            }
        }

        // The batch's stock levels in one statement, the products by SaveChanges, their announcements with them.
        await using var transaction = await DomainTransaction.BeginAsync(db, ct);
        var changed = products.Values.Where(p => before[p.Id] != (p.Price, p.InStock)).ToList();
        if (changed.Count > 0)
        {
            events.Enlist(db);
            var images = await ProductImageIds.OfAsync(db, [.. changed.Select(p => p.Id)], ct);
            foreach (var product in changed)
                await events.AnnounceAsync(product, images.GetValueOrDefault(product.Id, []), ct);
        }

        await StockLevelRows.WriteAsync(db, ct);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
    }

    static readonly TrackedUpsert<ProductStockLevel> StockLevelRows = new("product_stock_levels", ["ProductId", "Warehouse"],
        new("ProductId", UpsertColumnKind.Guid, l => l.ProductId),
        new("Warehouse", UpsertColumnKind.Text, l => l.Warehouse),
        new("Quantity", UpsertColumnKind.Int, l => l.Quantity),
        new("Version", UpsertColumnKind.Long, l => l.Version));
}
