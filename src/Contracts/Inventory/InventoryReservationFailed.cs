namespace GlobalCommerce.Contracts.Inventory;

public sealed record InventoryReservationFailed
{
    public required Guid OrderId { get; init; }
    public required string Reason { get; init; }
    public required IReadOnlyList<Guid> UnavailableProductIds { get; init; }
}
