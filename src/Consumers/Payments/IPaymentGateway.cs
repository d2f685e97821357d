namespace GlobalCommerce.Consumers.Payments;

// A card processor with Stripe-like semantics: every call carries an idempotency key, and repeating a call with
// the same key returns the first outcome instead of doing it again.
public interface IPaymentGateway
{
    Task<GatewayResult> ChargeAsync(GatewayCharge request, CancellationToken cancellationToken);

    // The outcome of an earlier charge made with this key, or null if the gateway never charged with it.
    Task<GatewayResult?> FindChargeAsync(string idempotencyKey, CancellationToken cancellationToken);

    Task<GatewayResult> RefundAsync(string chargeReference, decimal amount, string idempotencyKey, CancellationToken cancellationToken);
}

public sealed record GatewayCharge(string IdempotencyKey, decimal Amount, string Currency, string Token)
{
    // Records print every property; the token must not reach a log.
    public override string ToString() => $"GatewayCharge {{ IdempotencyKey = {IdempotencyKey}, Amount = {Amount} {Currency} }}";
}

public sealed record GatewayResult(bool Succeeded, string? Reference, string? DeclineReason)
{
    public static GatewayResult Success(string reference) => new(true, reference, null);

    public static GatewayResult Declined(string reason) => new(false, null, reason);
}
