namespace GlobalCommerce.Contracts.Streams;

// inventory-events, one per order line: reserved units left the warehouse for a paid order.
public sealed record InventoryCommitted
{
    public required Guid OrderId { get; init; }
    public required Guid ProductId { get; init; }
    // Null for a product whose warehouses inventory does not track (then the key is the product id).
    public string? Sku { get; init; }
    public required int Quantity { get; init; }
    public required DateTimeOffset CommittedAt { get; init; }
}
