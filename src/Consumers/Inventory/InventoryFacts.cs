using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Inventory;

// inventory-events carries one fact per order line, keyed by SKU like the vendor flow's events, so every event of a SKU
// is in one partition and read in the order it happened, whoever produced it. A line's SKU is its product's in
// warehouse_stock (one read per transaction); a product whose warehouses are not tracked has no SKU in inventory_db and
// is keyed by its product id.
static class InventoryFacts
{
    public static async Task<IReadOnlyDictionary<Guid, string>> SkusAsync(InventoryDbContext db, IEnumerable<AllocationLine> lines, CancellationToken ct)
    {
        var products = lines.Select(l => l.ProductId).Distinct().ToList();
        var rows = await db.WarehouseStocks.AsNoTracking().Where(w => products.Contains(w.ProductId))
            .Select(w => new { w.ProductId, w.Sku }).ToListAsync(ct);
        return Skus(rows.Select(r => (r.ProductId, r.Sku)));
    }

    // The same from warehouse rows already read.
    public static IReadOnlyDictionary<Guid, string> Skus(IEnumerable<WarehouseStock> rows) => Skus(rows.Select(r => (r.ProductId, r.Sku)));

    static Dictionary<Guid, string> Skus(IEnumerable<(Guid ProductId, string Sku)> rows) =>
        rows.GroupBy(r => r.ProductId).ToDictionary(g => g.Key, g => g.Select(r => r.Sku).Min(StringComparer.Ordinal)!);

    public static string Key(IReadOnlyDictionary<Guid, string> skus, Guid productId) => skus.GetValueOrDefault(productId) ?? productId.ToString();
}
