namespace GlobalCommerce.Contracts.Orders;

public sealed record OrderConfirmed
{
    public required Guid OrderId { get; init; }
    public required Guid CustomerId { get; init; }
    public required decimal Total { get; init; }
    public required string Currency { get; init; }
    public required string PaymentReference { get; init; }
    public required DateTimeOffset ConfirmedAt { get; init; }
}
