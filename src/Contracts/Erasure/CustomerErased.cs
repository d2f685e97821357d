namespace GlobalCommerce.Contracts.Erasure;

public sealed record CustomerErased
{
    public required Guid ErasureId { get; init; }
    public required Guid CustomerId { get; init; }
    public required DateTimeOffset CompletedAt { get; init; }
}
