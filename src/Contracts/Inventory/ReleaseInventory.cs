namespace GlobalCommerce.Contracts.Inventory;

public sealed record ReleaseInventory
{
    public required Guid OrderId { get; init; }
    public required string Reason { get; init; }
}
