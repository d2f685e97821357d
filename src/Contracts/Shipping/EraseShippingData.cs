namespace GlobalCommerce.Contracts.Shipping;

public sealed record EraseShippingData
{
    public required Guid ErasureId { get; init; }
    public required Guid CustomerId { get; init; }
    public required IReadOnlyList<Guid> OrderIds { get; init; }
}
