namespace GlobalCommerce.Contracts.Orders;

public sealed record CancelOrder
{
    public required Guid OrderId { get; init; }
    public required string Reason { get; init; }
    public required string RequestedBy { get; init; }
}
