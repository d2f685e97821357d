namespace GlobalCommerce.Contracts.Inventory;

public sealed record InventoryReleased
{
    public required Guid OrderId { get; init; }
}
