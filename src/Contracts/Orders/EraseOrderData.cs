namespace GlobalCommerce.Contracts.Orders;

public sealed record EraseOrderData
{
    public required Guid ErasureId { get; init; }
    public required Guid CustomerId { get; init; }
    public required IReadOnlyList<Guid> OrderIds { get; init; }
}
