namespace GlobalCommerce.Contracts.Streams;

// order-events: the order failed. Step is the state it failed in (Pending, AwaitingPayment, ...), Reason the event
// that failed it (InventoryReservationFailed, PaymentDeclined, DeadlineExpired, RejectOrder, ...): stable codes to
// group by. The readable reason stays in order_db, since a reviewer's note may name people.
public sealed record OrderFailed
{
    public required Guid OrderId { get; init; }
    public required string Step { get; init; }
    public required string Reason { get; init; }
    public required DateTimeOffset FailedAt { get; init; }
}
