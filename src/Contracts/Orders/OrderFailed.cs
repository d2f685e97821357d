namespace GlobalCommerce.Contracts.Orders;

public sealed record OrderFailed
{
    public required Guid OrderId { get; init; }
    public required string Reason { get; init; }
    public required DateTimeOffset FailedAt { get; init; }
}
