namespace GlobalCommerce.Contracts.Streams;

// inventory-events, one per order line, keyed by SKU (by product id for a product without one): units held for an
// order.
public sealed record InventoryReserved
{
    public required Guid OrderId { get; init; }
    public required Guid ProductId { get; init; }
    // Null for a product whose warehouses inventory does not track (then the key is the product id).
    public string? Sku { get; init; }
    public required int Quantity { get; init; }
    public required DateTimeOffset ReservedAt { get; init; }
}
