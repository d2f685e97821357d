using GlobalCommerce.Contracts.Payments;
using GlobalCommerce.Platform.Messaging.Outbox;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Payments;

public sealed class RefundPaymentConsumer(PaymentsDbContext db, IPaymentGateway gateway, PaymentsOptions options, TimeProvider clock)
    : IConsumer<RefundPayment>
{
    public async Task Consume(ConsumeContext<RefundPayment> context)
    {
        var orderId = context.Message.OrderId;
        var ct = context.CancellationToken;
        var payment = await db.Payments.SingleOrDefaultAsync(p => p.OrderId == orderId, ct);
        if (payment is null)
        {
            // Refunded before the charge command arrived: the tombstone stops a late charge from taking money.
            var now = clock.GetUtcNow();
            db.Payments.Add(new Payment
            {
                OrderId = orderId,
                Amount = 0,
                Currency = "",
                Status = PaymentStatus.Voided,
                CreatedAt = now,
                UpdatedAt = now,
            });
            await db.SaveChangesAsync(ct);
            return;
        }

        // The gateway is asked with no transaction open (see OutsideTransaction); the refund's own key makes a repeat safe.
        var previous = payment.Status;
        var chargeReference = payment.Status is PaymentStatus.Succeeded or PaymentStatus.Processing or PaymentStatus.Unknown
            ? await db.CallOutsideTransactionAsync(t => RefundAsync(orderId, payment.Status, payment.GatewayReference, payment.Amount, t), ct)
            : null;
        if (chargeReference is not null)
        {
            payment.Status = PaymentStatus.Refunded;
            payment.GatewayReference = chargeReference;
        }
        else if (payment.Status is PaymentStatus.Processing or PaymentStatus.Unknown)
        {
            payment.Status = PaymentStatus.Voided;
        }

        if (db.Entry(payment).State == EntityState.Modified)
        {
            // A charge finishing meanwhile makes this fail on Version; the retry then sees it Succeeded and refunds it.
            payment.Touch(clock.GetUtcNow());
            await PaymentFacts.SettledAsync(context, payment, previous, payment.UpdatedAt);
            await db.SaveChangesAsync(ct);
        }

        // Re-published on redelivery too, so a refund whose event was lost is still reported.
        if (payment.Status == PaymentStatus.Refunded)
            await context.Publish(new PaymentRefunded { OrderId = orderId, Amount = payment.Amount, Currency = payment.Currency });
    }

    // Returns the refunded charge's reference, or null when nothing was charged.
    async Task<string?> RefundAsync(Guid orderId, PaymentStatus status, string? knownReference, decimal amount, CancellationToken ct)
    {
        var chargeReference = status == PaymentStatus.Succeeded
            ? knownReference
            // The charge may have gone through without us hearing back; the gateway knows by the idempotency key.
            : (await GatewayCall.WithTimeoutAsync(options.GatewayTimeout, ct, t => gateway.FindChargeAsync(orderId.ToString(), t)))
                is { Succeeded: true } charge ? charge.Reference : null;
        if (chargeReference is null)
            return null;

        var refund = await GatewayCall.WithTimeoutAsync(options.GatewayTimeout, ct,
            t => gateway.RefundAsync(chargeReference, amount, $"refund-{orderId}", t));
        return refund.Succeeded ? chargeReference : throw new InvalidOperationException($"The gateway refused to refund order {orderId}: {refund.DeclineReason}");
    }
}
