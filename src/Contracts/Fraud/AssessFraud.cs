namespace GlobalCommerce.Contracts.Fraud;

public sealed record AssessFraud
{
    public required Guid OrderId { get; init; }
    public required Guid CustomerId { get; init; }
    public required decimal Total { get; init; }
    public required string Currency { get; init; }
    public required int ItemCount { get; init; }
    public required string ShippingCountry { get; init; }
    public required string PaymentToken { get; init; }
}
