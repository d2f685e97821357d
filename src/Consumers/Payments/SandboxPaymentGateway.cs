using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace GlobalCommerce.Consumers.Payments;

// The embedded default gateway. It answers Stripe's test tokens the way Stripe's test mode does, so demos and
// tests exercise success, decline and timeout without a network:
//   tok_visa, tok_mastercard -> charged (ch_sandbox_...);  tok_chargeDeclined -> card_declined;
//   tok_timeout -> never answers;  anything else -> invalid_token.
// Like Stripe it is idempotent per key: repeating a call returns the first outcome and never moves money twice.
public sealed class SandboxPaymentGateway : IPaymentGateway
{
    readonly ConcurrentDictionary<string, Lazy<GatewayResult>> _charges = new();
    readonly ConcurrentDictionary<string, Lazy<GatewayResult>> _refunds = new();
    readonly ConcurrentDictionary<string, decimal> _charged = new();
    readonly ConcurrentDictionary<string, decimal> _refunded = new();

    // Money actually taken or given back, not calls.
    public int ChargeCount => _charged.Count;

    public int RefundCount => _refunded.Count;

    public async Task<GatewayResult> ChargeAsync(GatewayCharge request, CancellationToken cancellationToken)
    {
        await Task.Yield();
        if (request.Token == "tok_timeout")
            await Task.Delay(Timeout.Infinite, cancellationToken);

        return _charges.GetOrAdd(request.IdempotencyKey, _ => new Lazy<GatewayResult>(() => Charge(request))).Value;
    }

    public Task<GatewayResult?> FindChargeAsync(string idempotencyKey, CancellationToken cancellationToken) =>
        Task.FromResult(_charges.TryGetValue(idempotencyKey, out var charge) ? charge.Value : null);

    public Task<GatewayResult> RefundAsync(string chargeReference, decimal amount, string idempotencyKey, CancellationToken cancellationToken) =>
        Task.FromResult(_refunds.GetOrAdd(idempotencyKey, _ => new Lazy<GatewayResult>(() => Refund(chargeReference, amount))).Value);

    GatewayResult Charge(GatewayCharge request)
    {
        if (request.Token is not ("tok_visa" or "tok_mastercard"))
            return GatewayResult.Declined(request.Token == "tok_chargeDeclined" ? "card_declined" : "invalid_token");

        var reference = "ch_sandbox_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        _charged[reference] = request.Amount;
        return GatewayResult.Success(reference);
    }

    GatewayResult Refund(string chargeReference, decimal amount)
    {
        if (!_charged.TryGetValue(chargeReference, out var charged))
            return GatewayResult.Declined("no_such_charge");
        if (amount > charged)
            return GatewayResult.Declined("amount_too_large");
        if (!_refunded.TryAdd(chargeReference, amount))
            return GatewayResult.Declined("charge_already_refunded");
        return GatewayResult.Success("re_sandbox_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)));
    }
}
