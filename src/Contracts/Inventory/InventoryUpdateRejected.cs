namespace GlobalCommerce.Contracts.Inventory;

// Inventory refused an InventoryUpdated: the stock it would leave is less than what orders in flight hold. Names the
// upload row, so the vendor's report shows it rejected.
public sealed record InventoryUpdateRejected
{
    public required Guid VendorId { get; init; }
    public required Guid UploadId { get; init; }
    public required int Line { get; init; }
    public required Guid ProductId { get; init; }
    public required string Sku { get; init; }
    public required string Warehouse { get; init; }
    public required int Quantity { get; init; }
    public required int OnHand { get; init; }
    public required int Reserved { get; init; }
    public required string Reason { get; init; }
    public required long Version { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
}
