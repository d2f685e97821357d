namespace GlobalCommerce.Sagas.Orders;

// An order the API accepted (202) and must never lose: stored before SubmitOrder is sent, and re-sent by the
// sweeper while no saga exists for it. Also the record behind the Idempotency-Key header.
public class OrderRequest
{
    public Guid OrderId { get; set; }

    public Guid CustomerId { get; set; }

    public string? IdempotencyKey { get; set; }

    public required string RequestHash { get; set; }

    // The SubmitOrder message as JSON, so a re-send is byte-for-byte the accepted order.
    public required string Submission { get; set; }

    public DateTimeOffset AcceptedAt { get; set; }

    public int SendAttempts { get; set; }
}
