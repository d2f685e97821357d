namespace GlobalCommerce.Contracts.Shipping;

public sealed record ShipmentCancelled
{
    public required Guid OrderId { get; init; }
}
