namespace GlobalCommerce.Sagas.Orders;

// An order the API accepted (202) and must never lose: stored in the same transaction as the bus-outbox message that
// carries its SubmitOrder. Also the record behind the Idempotency-Key header and the "Submitted" state shown
// before the saga has started.
public class OrderRequest
{
    public Guid OrderId { get; set; }

    public Guid CustomerId { get; set; }

    public string? IdempotencyKey { get; set; }

    public required string RequestHash { get; set; }

    // The SubmitOrder message as JSON: the order exactly as accepted.
    public required string Submission { get; set; }

    public DateTimeOffset AcceptedAt { get; set; }
}
