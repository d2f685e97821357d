namespace GlobalCommerce.Contracts.Erasure;

// Each domain's confirmation to the erasure saga; Domain is one of ErasureDomains.
public sealed record CustomerDataErased
{
    public required Guid ErasureId { get; init; }
    public required Guid CustomerId { get; init; }
    public required string Domain { get; init; }
    public required DateTimeOffset ErasedAt { get; init; }
}
