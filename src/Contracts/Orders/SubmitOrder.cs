namespace GlobalCommerce.Contracts.Orders;

// Sent by the API once it has priced and stored an accepted order; starts the order saga.
public sealed record SubmitOrder
{
    public required Guid OrderId { get; init; }
    public required Guid CustomerId { get; init; }
    // Optional until Identity fills it from the shopper's token; support staff search by it.
    public string? CustomerEmail { get; init; }
    public required IReadOnlyList<OrderLine> Lines { get; init; }
    public required decimal Total { get; init; }
    public required string Currency { get; init; }
    public required ShippingAddress ShippingAddress { get; init; }
    public required string PaymentToken { get; init; }
    public required DateTimeOffset SubmittedAt { get; init; }
}
