using GlobalCommerce.Contracts.Payments;
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

        var chargeReference = payment.Status switch
        {
            PaymentStatus.Succeeded => payment.GatewayReference,
            // The charge may have gone through without us hearing back; the gateway knows by the idempotency key.
            PaymentStatus.Processing or PaymentStatus.Unknown => (await GatewayCall.WithTimeoutAsync(options.GatewayTimeout, ct,
                t => gateway.FindChargeAsync(orderId.ToString(), t))) is { Succeeded: true } charge ? charge.Reference : null,
            _ => null,
        };

        if (chargeReference is not null)
        {
            var refund = await GatewayCall.WithTimeoutAsync(options.GatewayTimeout, ct,
                t => gateway.RefundAsync(chargeReference, payment.Amount, $"refund-{orderId}", t));
            if (!refund.Succeeded)
                throw new InvalidOperationException($"The gateway refused to refund order {orderId}: {refund.DeclineReason}");
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
            await db.SaveChangesAsync(ct);
        }

        // Re-published on redelivery too, so a refund whose event was lost is still reported.
        if (payment.Status == PaymentStatus.Refunded)
            await context.Publish(new PaymentRefunded { OrderId = orderId, Amount = payment.Amount, Currency = payment.Currency });
    }
}
