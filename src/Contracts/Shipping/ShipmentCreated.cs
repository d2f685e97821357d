namespace GlobalCommerce.Contracts.Shipping;

public sealed record ShipmentCreated
{
    public required Guid OrderId { get; init; }
    public required string Carrier { get; init; }
    public required string TrackingNumber { get; init; }
}
