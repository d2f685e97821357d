namespace GlobalCommerce.Contracts.Payments;

public sealed record ChargePayment
{
    public required Guid OrderId { get; init; }
    public required decimal Amount { get; init; }
    public required string Currency { get; init; }
    public required string PaymentToken { get; init; }
}
