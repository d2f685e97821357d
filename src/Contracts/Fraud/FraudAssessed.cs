namespace GlobalCommerce.Contracts.Fraud;

public sealed record FraudAssessed
{
    public required Guid OrderId { get; init; }
    public required double Score { get; init; }
    public required IReadOnlyList<string> Reasons { get; init; }
}
