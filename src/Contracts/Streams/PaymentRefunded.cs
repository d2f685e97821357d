namespace GlobalCommerce.Contracts.Streams;

// payment-events: money taken for the order went back (the order failed or was cancelled after the charge, or a
// charge arrived after the order had ended).
public sealed record PaymentRefunded
{
    public required Guid OrderId { get; init; }
    public required decimal Amount { get; init; }
    public required string Currency { get; init; }
    public required DateTimeOffset RefundedAt { get; init; }
}
