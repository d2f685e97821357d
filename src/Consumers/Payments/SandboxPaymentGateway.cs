using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace GlobalCommerce.Consumers.Payments;

// The embedded default gateway. It answers Stripe's test tokens the way Stripe's test mode does, so demos and
// tests exercise success, decline and timeout without a network:
//   tok_visa, tok_mastercard -> charged (ch_sandbox_...);  tok_chargeDeclined -> card_declined;
//   tok_timeout -> never answers;  anything else -> invalid_token.
// Like Stripe it is idempotent per key: repeating a call returns the first outcome and never moves money twice. Like
// Stripe it remembers across our restarts: its books are a database of its own (SandboxGatewayDbContext), so after a
// crash the payments domain can still ask it what it charged.
public sealed class SandboxPaymentGateway(DbContextOptions<SandboxGatewayDbContext> storage, TimeProvider clock) : IPaymentGateway
{
    // Its contexts come from a pool: a new context costs more than the call's two statements (EF Core builds its
    // services for each instance).
    readonly PooledDbContextFactory<SandboxGatewayDbContext> _contexts = new(storage);

    // Money actually taken or given back, not calls.
    public int ChargeCount
    {
        get
        {
            using var db = _contexts.CreateDbContext();
            return db.Charges.Count(c => c.Succeeded);
        }
    }

    public int RefundCount
    {
        get
        {
            using var db = _contexts.CreateDbContext();
            return db.Refunds.Count(r => r.Succeeded);
        }
    }

    public async Task<GatewayResult> ChargeAsync(GatewayCharge request, CancellationToken cancellationToken)
    {
        await Task.Yield();
        if (request.Token == "tok_timeout")
            await Task.Delay(Timeout.Infinite, cancellationToken);

        return await FindChargeAsync(request.IdempotencyKey, cancellationToken)
            ?? await FirstOutcomeAsync(
                db => db.Charges.Add(Charge(request)).Entity.Result,
                () => FindChargeAsync(request.IdempotencyKey, cancellationToken),
                cancellationToken);
    }

    public async Task<GatewayResult?> FindChargeAsync(string idempotencyKey, CancellationToken cancellationToken)
    {
        await using var db = _contexts.CreateDbContext();
        var charge = await db.Charges.AsNoTracking().SingleOrDefaultAsync(c => c.IdempotencyKey == idempotencyKey, cancellationToken);
        return charge?.Result;
    }

    public async Task<GatewayResult> RefundAsync(string chargeReference, decimal amount, string idempotencyKey, CancellationToken cancellationToken)
    {
        await using (var db = _contexts.CreateDbContext())
        {
            var earlier = await db.Refunds.AsNoTracking().SingleOrDefaultAsync(r => r.IdempotencyKey == idempotencyKey, cancellationToken);
            if (earlier is not null)
                return earlier.Result;
        }

        var outcome = await RefundOnceAsync(chargeReference, amount, idempotencyKey, cancellationToken);
        return await FirstOutcomeAsync(
            db => db.Refunds.Add(new SandboxRefund
            {
                IdempotencyKey = idempotencyKey,
                ChargeReference = chargeReference,
                Succeeded = outcome.Succeeded,
                Reference = outcome.Reference,
                DeclineReason = outcome.DeclineReason,
            }).Entity.Result,
            async () =>
            {
                await using var db = _contexts.CreateDbContext();
                return (await db.Refunds.AsNoTracking().SingleOrDefaultAsync(r => r.IdempotencyKey == idempotencyKey, cancellationToken))?.Result;
            },
            cancellationToken);
    }

    // Records an outcome under its key; if a concurrent call with the same key recorded first, theirs is the answer.
    async Task<GatewayResult> FirstOutcomeAsync(
        Func<SandboxGatewayDbContext, GatewayResult> record, Func<Task<GatewayResult?>> recorded, CancellationToken cancellationToken)
    {
        try
        {
            await using var db = _contexts.CreateDbContext();
            var result = record(db);
            await db.SaveChangesAsync(cancellationToken);
            return result;
        }
        catch (DbUpdateException)
        {
            return await recorded() ?? throw new InvalidOperationException("The sandbox gateway could not record an outcome.");
        }
    }

    SandboxCharge Charge(GatewayCharge request)
    {
        var charged = request.Token is "tok_visa" or "tok_mastercard";
        return new SandboxCharge
        {
            IdempotencyKey = request.IdempotencyKey,
            Succeeded = charged,
            Reference = charged ? "ch_sandbox_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)) : null,
            DeclineReason = charged ? null : request.Token == "tok_chargeDeclined" ? "card_declined" : "invalid_token",
            Amount = charged ? request.Amount : 0,
            Currency = request.Currency.Length <= 3 ? request.Currency : request.Currency[..3],
            CreatedAt = clock.GetUtcNow(),
        };
    }

    // The refund's money moves only if it is the first to claim the charge (one conditional update, atomic on both engines).
    // The claim names the refund's key, so a retry after a crash between claim and record finds its own claim.
    async Task<GatewayResult> RefundOnceAsync(string chargeReference, decimal amount, string idempotencyKey, CancellationToken cancellationToken)
    {
        await using var db = _contexts.CreateDbContext();
        var charge = await db.Charges.AsNoTracking().SingleOrDefaultAsync(c => c.Reference == chargeReference && c.Succeeded, cancellationToken);
        if (charge is null)
            return GatewayResult.Declined("no_such_charge");
        if (charge.RefundIdempotencyKey == idempotencyKey)
            return GatewayResult.Success(charge.RefundReference!);
        if (amount > charge.Amount)
            return GatewayResult.Declined("amount_too_large");
        var reference = "re_sandbox_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var claimed = await db.Charges
            .Where(c => c.Reference == chargeReference && c.RefundReference == null)
            .ExecuteUpdateAsync(c => c.SetProperty(x => x.RefundReference, reference).SetProperty(x => x.RefundIdempotencyKey, idempotencyKey), cancellationToken);
        return claimed == 1 ? GatewayResult.Success(reference) : GatewayResult.Declined("charge_already_refunded");
    }
}
