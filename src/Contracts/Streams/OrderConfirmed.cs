namespace GlobalCommerce.Contracts.Streams;

// order-events: the order is paid and its stock committed; shipping starts. The notifications group tells the customer.
public sealed record OrderConfirmed
{
    public required Guid OrderId { get; init; }
    public required Guid CustomerId { get; init; }
    public required decimal Total { get; init; }
    public required string Currency { get; init; }
    public required DateTimeOffset ConfirmedAt { get; init; }
}
