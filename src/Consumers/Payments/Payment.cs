namespace GlobalCommerce.Consumers.Payments;

// What we know about the money of one order. Card data and even the gateway token stay out: the token is
// handed to the gateway and forgotten, only the gateway's reference is kept.
public class Payment
{
    public Guid OrderId { get; set; }

    public decimal Amount { get; set; }

    public required string Currency { get; set; }

    public PaymentStatus Status { get; set; }

    public string? GatewayReference { get; set; }

    public string? DeclineReason { get; set; }

    // Two deliveries racing on one payment: the second SaveChanges fails and its retry sees the first's outcome.
    public int Version { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    // What is known before the gateway is asked: money may be about to move.
    public static Payment Attempt(Guid orderId, decimal amount, string currency, DateTimeOffset now) => new()
    {
        OrderId = orderId, Amount = amount, Currency = currency, Status = PaymentStatus.Processing, CreatedAt = now, UpdatedAt = now,
    };

    public void Touch(DateTimeOffset now)
    {
        Version++;
        UpdatedAt = now;
    }
}

public enum PaymentStatus
{
    Processing,
    Succeeded,
    Declined,
    // The gateway did not answer in time: it may or may not have charged. Asking it again with the same
    // idempotency key settles it.
    Unknown,
    Refunded,
    // Refunded before any charge happened; a late charge command must not take money.
    Voided,
}
