namespace GlobalCommerce.Contracts.Inventory;

public sealed record InventoryCommitted
{
    public required Guid OrderId { get; init; }
}
