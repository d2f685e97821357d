namespace GlobalCommerce.Contracts.Orders;

// Support staff clear an order held for manual fraud review: the saga goes on to payment.
public sealed record ApproveOrder
{
    public required Guid OrderId { get; init; }
    public required string Reason { get; init; }
    public required string RequestedBy { get; init; }
}
