using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Inventory;

// Committed units leave real warehouses: each line takes from the product's fullest warehouses first (OnHand is their
// sum, so they always hold enough), remembering where, so a release of a paid order puts the units back where they
// were. A product whose warehouses are not tracked has only its OnHand. Callers hold the product's stock_items row.
static class WarehousePicks
{
    // The warehouse rows of the lines' products, tracked, for Take and for the facts' SKUs. Callers hold the products'
    // stock_items rows.
    public static Task<List<WarehouseStock>> RowsAsync(InventoryDbContext db, IEnumerable<AllocationLine> lines, CancellationToken ct)
    {
        var products = lines.Select(l => l.ProductId).Distinct().ToList();
        return db.WarehouseStocks.Where(w => products.Contains(w.ProductId)).ToListAsync(ct);
    }

    // Takes the line's units from its product's rows (of RowsAsync); returns the rows that went below their reorder point
    // with this line.
    public static IReadOnlyList<WarehouseStock> Take(InventoryDbContext db, AllocationLine line, IEnumerable<WarehouseStock> warehouses, DateTimeOffset now)
    {
        var rows = warehouses.Where(w => w.ProductId == line.ProductId && w.Quantity > 0)
            .OrderByDescending(w => w.Quantity).ThenBy(w => w.Warehouse, StringComparer.Ordinal).ToList();
        var crossed = new List<WarehouseStock>();
        var left = line.Quantity;
        foreach (var row in rows)
        {
            if (left == 0)
                break;
            var taken = Math.Min(left, row.Quantity);
            row.Quantity -= taken;
            row.UpdatedAt = now;
            left -= taken;
            db.AllocationPicks.Add(new AllocationPick { OrderId = line.OrderId, ProductId = line.ProductId, Warehouse = row.Warehouse, Quantity = taken });
            if (row.CrossedReorderPoint())
                crossed.Add(row);
        }

        return crossed;
    }

    public static async Task PutBackAsync(InventoryDbContext db, Guid orderId, DateTimeOffset now, CancellationToken ct)
    {
        var picks = await db.AllocationPicks.Where(p => p.OrderId == orderId).ToListAsync(ct);
        foreach (var pick in picks.OrderBy(p => p.ProductId).ThenBy(p => p.Warehouse, StringComparer.Ordinal))
        {
            var row = await db.WarehouseStocks.SingleAsync(w => w.ProductId == pick.ProductId && w.Warehouse == pick.Warehouse, ct);
            row.Quantity += pick.Quantity;
            row.UpdatedAt = now;
            row.CrossedReorderPoint();
        }
    }
}
