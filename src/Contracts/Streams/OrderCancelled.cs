namespace GlobalCommerce.Contracts.Streams;

// order-events: the order was cancelled (by its customer or by support) while in Step. The free-text reason stays in
// order_db.
public sealed record OrderCancelled
{
    public required Guid OrderId { get; init; }
    public required string Step { get; init; }
    public required DateTimeOffset CancelledAt { get; init; }
}
