using GlobalCommerce.Contracts.Payments;
using GlobalCommerce.Platform.Messaging.Outbox;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace GlobalCommerce.Consumers.Payments;

// Three steps, so that no transaction (and on SQLite no write lock) is held while the gateway may hang: the attempt
// is committed, the gateway is called with no transaction open, and the outcome is recorded and published through
// the outbox in one final transaction (see OutsideTransaction). The order id is the idempotency key, so a
// redelivery, or a crash after the call, charges at most once; a crash before the outcome was recorded leaves the
// payment Processing for CheckPayment (the saga's deadline) or a redelivery to settle.
public sealed partial class ChargePaymentConsumer(
    PaymentsDbContext db, IPaymentGateway gateway, PaymentsOptions options, TimeProvider clock, ILogger<ChargePaymentConsumer> logger)
    : IConsumer<ChargePayment>
{
    public async Task Consume(ConsumeContext<ChargePayment> context)
    {
        var command = context.Message;
        var ct = context.CancellationToken;
        // Recorded before the gateway is called, so a refund arriving meanwhile knows to ask the gateway.
        // A concurrent duplicate fails on the primary key and its retry finds this row.
        var payment = await db.Payments.SingleOrDefaultAsync(p => p.OrderId == command.OrderId, ct)
            ?? db.Payments.Add(Payment.Attempt(command.OrderId, command.Amount, command.Currency, clock.GetUtcNow())).Entity;

        var previous = payment.Status;
        if (payment.Status is PaymentStatus.Processing or PaymentStatus.Unknown)
        {
            var charge = new GatewayCharge(payment.OrderId.ToString(), payment.Amount, payment.Currency, command.PaymentToken);
            try
            {
                var result = await db.CallOutsideTransactionAsync(
                    t => GatewayCall.WithTimeoutAsync(options.GatewayTimeout, t, g => gateway.ChargeAsync(charge, g)), ct);
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

            // A refund that voided the payment while the gateway answered (or a duplicate that recorded first) makes
            // this fail on Version; the retry then finds the row settled and takes the branch below. The fact is
            // produced here, in the outcome's transaction, never in the attempt's.
            payment.Touch(clock.GetUtcNow());
            await PaymentFacts.SettledAsync(context, payment, previous, payment.UpdatedAt);
            await db.SaveChangesAsync(ct);
        }
        else if (payment.Status == PaymentStatus.Voided
                 && await db.CallOutsideTransactionAsync(t => RefundLateChargeAsync(payment.OrderId, payment.Amount, t), ct) is { } late)
        {
            payment.Status = PaymentStatus.Refunded;
            payment.GatewayReference = late;
            payment.Touch(clock.GetUtcNow());
            await PaymentFacts.SettledAsync(context, payment, previous, payment.UpdatedAt);
            await db.SaveChangesAsync(ct);
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

    // A charge that went through while a refund was voiding the payment: the order is over, so the money goes back.
    // Returns the late charge's reference, or null if there was none.
    async Task<string?> RefundLateChargeAsync(Guid orderId, decimal amount, CancellationToken ct)
    {
        var late = await GatewayCall.WithTimeoutAsync(options.GatewayTimeout, ct, t => gateway.FindChargeAsync(orderId.ToString(), t));
        if (late is not { Succeeded: true, Reference: { } reference })
            return null;
        var refund = await GatewayCall.WithTimeoutAsync(options.GatewayTimeout, ct, t => gateway.RefundAsync(reference, amount, $"refund-{orderId}", t));
        return refund.Succeeded
            ? reference
            : throw new InvalidOperationException($"The gateway refused to refund the late charge of order {orderId}: {refund.DeclineReason}");
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Payment gateway did not answer within {Timeout} for order {OrderId}; the charge is unknown until retried")]
    static partial void LogGatewayTimeout(ILogger logger, Guid orderId, TimeSpan timeout);
}
