namespace GlobalCommerce.Contracts.Payments;

// The gateway holds no charge under the order's idempotency key. The payment is voided before this is published, so
// a charge that still lands later is refunded by the payments domain instead of being kept.
public sealed record PaymentNotCharged
{
    public required Guid OrderId { get; init; }
}
