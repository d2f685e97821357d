namespace GlobalCommerce.Contracts.Orders;

public sealed record OrderCancelled
{
    public required Guid OrderId { get; init; }
    public required string Reason { get; init; }
    public required DateTimeOffset CancelledAt { get; init; }
}
