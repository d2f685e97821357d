using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Platform.Persistence;

namespace GlobalCommerce.Consumers.Inventory;

// A product's stock in one warehouse, as its vendor last counted it and as orders have taken from it since. The
// product's StockItem.OnHand is the sum of these rows (kept so in the same transaction by every writer).
public class WarehouseStock
{
    // Where stock counted before warehouses were tracked (the demo catalog's, a product's first units) is kept.
    public const string DefaultWarehouse = "main";

    public Guid ProductId { get; set; }

    public required string Warehouse { get; set; }

    public int Quantity { get; set; }

    public int ReorderPoint { get; set; }

    // The newest InventoryUpdated version decided for this row (applied, or refused for reservations); an event with a
    // version not above it is stale or a copy.
    public long Version { get; set; }

    // Below the reorder point since the last ReorderPointReached: the next one is produced only after stock rose
    // to the point again, so a vendor hears of each crossing once.
    public bool BelowReorderPoint { get; set; }

    // Who to tell about a reorder, whatever caused it (a vendor update, or orders).
    public Guid VendorId { get; set; }

    public required string Sku { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    // The set-based write of a batch's tracked rows (the inventory group's vendor updates): every column of the table.
    public static readonly TrackedUpsert<WarehouseStock> Rows = new("warehouse_stock", ["ProductId", "Warehouse"],
        new("ProductId", UpsertColumnKind.Guid, w => w.ProductId),
        new("Warehouse", UpsertColumnKind.Text, w => w.Warehouse),
        new("Quantity", UpsertColumnKind.Int, w => w.Quantity),
        new("ReorderPoint", UpsertColumnKind.Int, w => w.ReorderPoint),
        new("Version", UpsertColumnKind.Long, w => w.Version),
        new("BelowReorderPoint", UpsertColumnKind.Bool, w => w.BelowReorderPoint),
        new("VendorId", UpsertColumnKind.Guid, w => w.VendorId),
        new("Sku", UpsertColumnKind.Text, w => w.Sku),
        new("UpdatedAt", UpsertColumnKind.Time, w => w.UpdatedAt));

    // Records whether the row is below its reorder point now; true when that is news (it was not below before), i.e.
    // when a ReorderPointReached is due. A reorder point of 0 never triggers.
    public bool CrossedReorderPoint()
    {
        var below = Quantity < ReorderPoint;
        var crossed = below && !BelowReorderPoint;
        BelowReorderPoint = below;
        return crossed;
    }
}

// The event a crossing calls for, whatever caused it.
static class Reorder
{
    public static ReorderPointReached Of(WarehouseStock row, string cause, DateTimeOffset now) => new()
    {
        VendorId = row.VendorId,
        ProductId = row.ProductId,
        Sku = row.Sku,
        Warehouse = row.Warehouse,
        Quantity = row.Quantity,
        ReorderPoint = row.ReorderPoint,
        Cause = cause,
        OccurredAt = now,
    };
}

// Which warehouses a committed order line took its units from, so that releasing a paid order puts them back there.
public class AllocationPick
{
    public Guid OrderId { get; set; }

    public Guid ProductId { get; set; }

    public required string Warehouse { get; set; }

    public int Quantity { get; set; }
}
