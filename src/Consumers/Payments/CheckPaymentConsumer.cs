using GlobalCommerce.Contracts.Payments;
using GlobalCommerce.Platform.Messaging.Outbox;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace GlobalCommerce.Consumers.Payments;

// Settles a charge whose outcome nobody heard: the gateway is asked by the order's idempotency key, never charged.
public sealed partial class CheckPaymentConsumer(
    PaymentsDbContext db, IPaymentGateway gateway, PaymentsOptions options, TimeProvider clock, ILogger<CheckPaymentConsumer> logger)
    : IConsumer<CheckPayment>
{
    public async Task Consume(ConsumeContext<CheckPayment> context)
    {
        var orderId = context.Message.OrderId;
        var ct = context.CancellationToken;
        var payment = await db.Payments.SingleOrDefaultAsync(p => p.OrderId == orderId, ct);
        if (payment is null or { Status: PaymentStatus.Processing or PaymentStatus.Unknown })
        {
            GatewayResult? found;
            try
            {
                // Asked with no transaction open (see OutsideTransaction): a silent gateway must not hold the database.
                found = await db.CallOutsideTransactionAsync(
                    t => GatewayCall.WithTimeoutAsync(options.GatewayTimeout, t, g => gateway.FindChargeAsync(orderId.ToString(), g)), ct);
            }
            catch (TimeoutException)
            {
                // Still nothing known: no answer, and the saga's deadline decides what happens next.
                LogGatewaySilent(logger, orderId, options.GatewayTimeout);
                return;
            }

            var now = clock.GetUtcNow();
            var previous = payment?.Status ?? PaymentStatus.Processing;
            if (payment is null)
            {
                // The charge command never reached us: record the outcome so that, if it arrives late, it is not charged.
                payment = new Payment { OrderId = orderId, Amount = 0, Currency = "", Status = PaymentStatus.Voided, CreatedAt = now, UpdatedAt = now };
                db.Payments.Add(payment);
            }

            if (found is null)
            {
                // Voided, not forgotten: a charge call still hanging that succeeds later sees Voided and refunds (ChargePaymentConsumer).
                payment.Status = PaymentStatus.Voided;
            }
            else
            {
                payment.Status = found.Succeeded ? PaymentStatus.Succeeded : PaymentStatus.Declined;
                payment.GatewayReference = found.Reference;
                payment.DeclineReason = found.DeclineReason;
            }

            // A charge finishing meanwhile makes this fail on Version; the retry then reads its outcome instead.
            payment.Touch(now);
            await PaymentFacts.SettledAsync(context, payment, previous, now);
            await db.SaveChangesAsync(ct);
            LogSettled(logger, orderId, payment.Status);
        }

        await (payment.Status switch
        {
            PaymentStatus.Succeeded => context.Publish(new PaymentCompleted
            {
                OrderId = orderId, Amount = payment.Amount, Currency = payment.Currency, GatewayReference = payment.GatewayReference!,
            }),
            PaymentStatus.Declined => context.Publish(new PaymentDeclined { OrderId = orderId, Reason = payment.DeclineReason ?? "declined" }),
            _ => context.Publish(new PaymentNotCharged { OrderId = orderId }),
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Payment gateway did not answer a status check within {Timeout} for order {OrderId}")]
    static partial void LogGatewaySilent(ILogger logger, Guid orderId, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Information, Message = "Payment of order {OrderId} settled by asking the gateway: {Status}")]
    static partial void LogSettled(ILogger logger, Guid orderId, PaymentStatus status);
}
