namespace GlobalCommerce.Contracts.Inventory;

// One accepted row of a vendor's inventory upload: the vendor's count of a SKU in one warehouse, its price and reorder
// point. Produced on inventory-events keyed by SKU. Version rises with every row the platform accepts for the SKU, across
// uploads, so a consumer applies a (SKU, warehouse) only when the version is newer than the one it holds.
public sealed record InventoryUpdated
{
    public required Guid VendorId { get; init; }
    public required Guid UploadId { get; init; }
    public required int Line { get; init; }
    public required Guid ProductId { get; init; }
    public required string Sku { get; init; }
    public required string Warehouse { get; init; }
    public required int Quantity { get; init; }
    public required decimal Price { get; init; }
    public required string Currency { get; init; }
    public required int ReorderPoint { get; init; }
    public required long Version { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
}
