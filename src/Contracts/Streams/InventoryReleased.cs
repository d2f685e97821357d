namespace GlobalCommerce.Contracts.Streams;

// inventory-events, one per order line: units given back. Restocked when they had already been committed (they go
// back on hand), otherwise a reservation let go.
public sealed record InventoryReleased
{
    public required Guid OrderId { get; init; }
    public required Guid ProductId { get; init; }
    // Null for a product whose warehouses inventory does not track (then the key is the product id).
    public string? Sku { get; init; }
    public required int Quantity { get; init; }
    public required bool Restocked { get; init; }
    public required DateTimeOffset ReleasedAt { get; init; }
}
