namespace GlobalCommerce.Contracts.Orders;

public sealed record OrderLine
{
    public required Guid ProductId { get; init; }
    public required string Sku { get; init; }
    public required string Name { get; init; }
    public required int Quantity { get; init; }
    public required decimal UnitPrice { get; init; }
}
