namespace GlobalCommerce.Contracts.Inventory;

// A warehouse's stock of a SKU fell below the vendor's reorder point: once per crossing, by a vendor's count
// (Cause "vendor-update") or by orders taking stock (Cause "orders"). Produced on inventory-events keyed by SKU.
public sealed record ReorderPointReached
{
    public required Guid VendorId { get; init; }
    public required Guid ProductId { get; init; }
    public required string Sku { get; init; }
    public required string Warehouse { get; init; }
    public required int Quantity { get; init; }
    public required int ReorderPoint { get; init; }
    public required string Cause { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }

    public const string CauseVendorUpdate = "vendor-update";
    public const string CauseOrders = "orders";
}
