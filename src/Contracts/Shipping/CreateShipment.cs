namespace GlobalCommerce.Contracts.Shipping;

public sealed record CreateShipment
{
    public required Guid OrderId { get; init; }
    public required GlobalCommerce.Contracts.Orders.ShippingAddress Address { get; init; }
    public required int ItemCount { get; init; }
}
