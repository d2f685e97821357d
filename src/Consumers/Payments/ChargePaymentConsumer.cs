using GlobalCommerce.Contracts.Payments;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace GlobalCommerce.Consumers.Payments;

public sealed partial class ChargePaymentConsumer(
    PaymentsDbContext db, IPaymentGateway gateway, PaymentsOptions options, TimeProvider clock, ILogger<ChargePaymentConsumer> logger)
    : IConsumer<ChargePayment>
{
    public async Task Consume(ConsumeContext<ChargePayment> context)
    {
        var command = context.Message;
        var ct = context.CancellationToken;
        var payment = await db.Payments.SingleOrDefaultAsync(p => p.OrderId == command.OrderId, ct);
        if (payment is null)
        {
            // Recorded before the gateway is called, so a refund arriving meanwhile knows to ask the gateway.
            // A concurrent duplicate fails on the primary key and its retry takes the branch below.
            var now = clock.GetUtcNow();
            payment = new Payment
            {
                OrderId = command.OrderId,
                Amount = command.Amount,
                Currency = command.Currency,
                Status = PaymentStatus.Processing,
                CreatedAt = now,
                UpdatedAt = now,
            };
            db.Payments.Add(payment);
            await db.SaveChangesAsync(ct);
        }

        if (payment.Status is PaymentStatus.Processing or PaymentStatus.Unknown)
        {
            // The order id is the idempotency key: however often this runs, the gateway charges at most once.
            var charge = new GatewayCharge(payment.OrderId.ToString(), payment.Amount, payment.Currency, command.PaymentToken);
            try
            {
                var result = await GatewayCall.WithTimeoutAsync(options.GatewayTimeout, ct, t => gateway.ChargeAsync(charge, t));
                payment.Status = result.Succeeded ? PaymentStatus.Succeeded : PaymentStatus.Declined;
                payment.GatewayReference = result.Reference;
                payment.DeclineReason = result.DeclineReason;
            }
            catch (TimeoutException)
            {
                // Nothing is published: the saga's deadline re-sends the command, which asks again with the same key.
                payment.Status = PaymentStatus.Unknown;
                LogGatewayTimeout(logger, payment.OrderId, options.GatewayTimeout);
            }

            // If a refund voided the payment meanwhile this fails on Version, and the retry hands the charge back below.
            payment.Touch(clock.GetUtcNow());
            await db.SaveChangesAsync(ct);
        }
        else if (payment.Status == PaymentStatus.Voided && await GatewayCall.WithTimeoutAsync(options.GatewayTimeout, ct,
                     t => gateway.FindChargeAsync(payment.OrderId.ToString(), t)) is { Succeeded: true } late)
        {
            await RefundLateChargeAsync(payment, late.Reference!, ct);
        }

        await (payment.Status switch
        {
            PaymentStatus.Succeeded => context.Publish(new PaymentCompleted
            {
                OrderId = payment.OrderId, Amount = payment.Amount, Currency = payment.Currency, GatewayReference = payment.GatewayReference!,
            }),
            PaymentStatus.Declined => context.Publish(new PaymentDeclined { OrderId = payment.OrderId, Reason = payment.DeclineReason ?? "declined" }),
            PaymentStatus.Refunded or PaymentStatus.Voided => context.Publish(new PaymentDeclined { OrderId = payment.OrderId, Reason = "voided" }),
            _ => Task.CompletedTask,
        });
    }

    // The charge went through while a refund was voiding the payment: the order is over, so the money goes back.
    async Task RefundLateChargeAsync(Payment payment, string reference, CancellationToken ct)
    {
        var refund = await GatewayCall.WithTimeoutAsync(options.GatewayTimeout, ct,
            t => gateway.RefundAsync(reference, payment.Amount, $"refund-{payment.OrderId}", t));
        if (!refund.Succeeded)
            throw new InvalidOperationException($"The gateway refused to refund the late charge of order {payment.OrderId}: {refund.DeclineReason}");
        payment.Status = PaymentStatus.Refunded;
        payment.GatewayReference = reference;
        payment.Touch(clock.GetUtcNow());
        await db.SaveChangesAsync(ct);
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Payment gateway did not answer within {Timeout} for order {OrderId}; the charge is unknown until retried")]
    static partial void LogGatewayTimeout(ILogger logger, Guid orderId, TimeSpan timeout);
}
