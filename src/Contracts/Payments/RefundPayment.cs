namespace GlobalCommerce.Contracts.Payments;

public sealed record RefundPayment
{
    public required Guid OrderId { get; init; }
    public required string Reason { get; init; }
}
