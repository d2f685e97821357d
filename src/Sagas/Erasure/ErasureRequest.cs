namespace GlobalCommerce.Sagas.Erasure;

// An erasure the API accepted (202), stored with the bus-outbox message that starts the saga. One per customer:
// a repeated DELETE /api/me answers with the erasure already under way.
public class ErasureRequest
{
    public Guid ErasureId { get; set; }

    public Guid CustomerId { get; set; }

    public DateTimeOffset RequestedAt { get; set; }
}
