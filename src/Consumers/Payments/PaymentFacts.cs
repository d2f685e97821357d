using GlobalCommerce.Platform.Streams;
using MassTransit;
using Facts = GlobalCommerce.Contracts.Streams;

namespace GlobalCommerce.Consumers.Payments;

// payment-events, keyed by the order id: the fact a payment's new status states, produced by the consumer that settled
// it in the transaction that records the status (so a redelivery, which finds the status already settled, produces
// nothing again). Processing, Unknown and Voided moved no money: no fact.
public static class PaymentFacts
{
    public static Task SettledAsync(ConsumeContext context, Payment payment, DateTimeOffset at)
    {
        var key = payment.OrderId.ToString();
        return payment.Status switch
        {
            PaymentStatus.Succeeded => context.Produce(
                new Facts.PaymentProcessed { OrderId = payment.OrderId, Amount = payment.Amount, Currency = payment.Currency, ProcessedAt = at }, key),
            PaymentStatus.Declined => context.Produce(new Facts.PaymentDeclined
            {
                OrderId = payment.OrderId, Amount = payment.Amount, Currency = payment.Currency, Reason = payment.DeclineReason ?? "declined", DeclinedAt = at,
            }, key),
            PaymentStatus.Refunded => context.Produce(
                new Facts.PaymentRefunded { OrderId = payment.OrderId, Amount = payment.Amount, Currency = payment.Currency, RefundedAt = at }, key),
            _ => Task.CompletedTask,
        };
    }
}
