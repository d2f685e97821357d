namespace GlobalCommerce.Contracts.Inventory;

public sealed record InventoryReserved
{
    public required Guid OrderId { get; init; }
    public required DateTimeOffset ReservedAt { get; init; }
}
