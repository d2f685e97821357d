namespace GlobalCommerce.Contracts.Streams;

// payment-events, keyed by the order id: the gateway charged the order. No card data, token or gateway reference.
public sealed record PaymentProcessed
{
    public required Guid OrderId { get; init; }
    public required decimal Amount { get; init; }
    public required string Currency { get; init; }
    public required DateTimeOffset ProcessedAt { get; init; }
}
