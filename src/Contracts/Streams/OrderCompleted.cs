namespace GlobalCommerce.Contracts.Streams;

// order-events: the order shipped; its lifecycle is over.
public sealed record OrderCompleted
{
    public required Guid OrderId { get; init; }
    public required DateTimeOffset CompletedAt { get; init; }
}
