using GlobalCommerce.Platform.Streams;
using MassTransit;
using Facts = GlobalCommerce.Contracts.Streams;

namespace GlobalCommerce.Consumers.Payments;

// payment-events, keyed by the order id: the money movements a payment's new status reveals, produced by the consumer
// that records the status, in the transaction that records it (a redelivery finds the status settled and produces
// nothing again). A charge is processed once, when first learnt of: recorded as Succeeded, or refunded straight from a
// status that never recorded it (a charge that landed while nobody heard back). Processing, Unknown and Voided moved no
// money: no fact.
public static class PaymentFacts
{
    public static async Task SettledAsync(ConsumeContext context, Payment payment, PaymentStatus previous, DateTimeOffset at)
    {
        var key = payment.OrderId.ToString();
        if (payment.Status == PaymentStatus.Succeeded || (payment.Status == PaymentStatus.Refunded && previous != PaymentStatus.Succeeded))
        {
            await context.Produce(
                new Facts.PaymentProcessed { OrderId = payment.OrderId, Amount = payment.Amount, Currency = payment.Currency, ProcessedAt = at }, key);
        }

        if (payment.Status == PaymentStatus.Declined)
        {
            await context.Produce(new Facts.PaymentDeclined
            {
                OrderId = payment.OrderId, Amount = payment.Amount, Currency = payment.Currency, Reason = payment.DeclineReason ?? "declined", DeclinedAt = at,
            }, key);
        }

        if (payment.Status == PaymentStatus.Refunded)
        {
            await context.Produce(
                new Facts.PaymentRefunded { OrderId = payment.OrderId, Amount = payment.Amount, Currency = payment.Currency, RefundedAt = at }, key);
        }
    }
}
