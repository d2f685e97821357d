namespace GlobalCommerce.Contracts.Payments;

public sealed record ErasePaymentData
{
    public required Guid ErasureId { get; init; }
    public required Guid CustomerId { get; init; }
    public required IReadOnlyList<Guid> OrderIds { get; init; }
}
