namespace GlobalCommerce.Contracts.Streams;

// payment-events: the gateway declined the charge; Reason is its decline code.
public sealed record PaymentDeclined
{
    public required Guid OrderId { get; init; }
    public required decimal Amount { get; init; }
    public required string Currency { get; init; }
    public required string Reason { get; init; }
    public required DateTimeOffset DeclinedAt { get; init; }
}
