namespace GlobalCommerce.Contracts.Streams;

// order-events: the order shipped; its lifecycle is over. The notifications group sends the shipment notice.
public sealed record OrderCompleted
{
    public required Guid OrderId { get; init; }
    public required DateTimeOffset CompletedAt { get; init; }

    // Whom to tell, and the carrier's tracking number the shipment notice quotes (absent from facts written before they were
    // added). A reference at the carrier, like the order id here; no address.
    public Guid? CustomerId { get; init; }

    public string? TrackingNumber { get; init; }
}
