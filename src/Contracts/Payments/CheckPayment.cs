namespace GlobalCommerce.Contracts.Payments;

// The saga's question after a charge went unanswered past its deadlines: what does the gateway know of this order's
// charge? Answered with PaymentCompleted, PaymentDeclined or PaymentNotCharged, or not at all if the gateway is silent.
public sealed record CheckPayment
{
    public required Guid OrderId { get; init; }
}
