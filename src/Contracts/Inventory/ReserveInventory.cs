namespace GlobalCommerce.Contracts.Inventory;

public sealed record ReserveInventory
{
    public required Guid OrderId { get; init; }
    public required IReadOnlyList<StockLine> Lines { get; init; }
}
