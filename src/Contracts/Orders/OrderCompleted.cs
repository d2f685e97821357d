namespace GlobalCommerce.Contracts.Orders;

public sealed record OrderCompleted
{
    public required Guid OrderId { get; init; }
    public required string TrackingNumber { get; init; }
    public required DateTimeOffset CompletedAt { get; init; }
}
