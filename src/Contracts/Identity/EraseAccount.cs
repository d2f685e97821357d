namespace GlobalCommerce.Contracts.Identity;

public sealed record EraseAccount
{
    public required Guid ErasureId { get; init; }
    public required Guid CustomerId { get; init; }
}
