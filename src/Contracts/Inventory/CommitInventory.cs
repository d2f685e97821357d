namespace GlobalCommerce.Contracts.Inventory;

public sealed record CommitInventory
{
    public required Guid OrderId { get; init; }
}
