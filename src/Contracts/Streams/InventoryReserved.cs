namespace GlobalCommerce.Contracts.Streams;

// inventory-events, one per order line, keyed by the product (the unit inventory_db keeps stock of): units held for
// an order.
public sealed record InventoryReserved
{
    public required Guid OrderId { get; init; }
    public required Guid ProductId { get; init; }
    public required int Quantity { get; init; }
    public required DateTimeOffset ReservedAt { get; init; }
}
