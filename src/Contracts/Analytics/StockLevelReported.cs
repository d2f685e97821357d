namespace GlobalCommerce.Contracts.Analytics;

// The analytics copy of an accepted inventory row (analytics-events, keyed by SKU): what a vendor reported, for the
// inventory dashboards. Produced with its InventoryUpdated in one transaction.
public sealed record StockLevelReported
{
    public required Guid VendorId { get; init; }
    public required Guid UploadId { get; init; }
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
