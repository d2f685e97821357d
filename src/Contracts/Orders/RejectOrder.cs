namespace GlobalCommerce.Contracts.Orders;

// Support staff reject an order held for manual fraud review: the saga fails it and releases the stock.
public sealed record RejectOrder
{
    public required Guid OrderId { get; init; }
    public required string Reason { get; init; }
    public required string RequestedBy { get; init; }
}
