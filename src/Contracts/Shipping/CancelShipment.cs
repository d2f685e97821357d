namespace GlobalCommerce.Contracts.Shipping;

public sealed record CancelShipment
{
    public required Guid OrderId { get; init; }
    public required string Reason { get; init; }
}
