namespace GlobalCommerce.Contracts.Streams;

// order-events, keyed by the order id: the order saga took the order up (it was accepted by the API and submitted).
// Amounts and counts only: no address, e-mail or payment token.
public sealed record OrderCreated
{
    public required Guid OrderId { get; init; }
    public required Guid CustomerId { get; init; }
    public required decimal Total { get; init; }
    public required string Currency { get; init; }
    public required int LineCount { get; init; }
    public required int ItemCount { get; init; }
    public required DateTimeOffset SubmittedAt { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}
