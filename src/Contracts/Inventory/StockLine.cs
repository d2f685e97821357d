namespace GlobalCommerce.Contracts.Inventory;

public sealed record StockLine
{
    public required Guid ProductId { get; init; }
    public required int Quantity { get; init; }
}
