namespace GlobalCommerce.Contracts.Notifications;

public sealed record EraseNotificationData
{
    public required Guid ErasureId { get; init; }
    public required Guid CustomerId { get; init; }
    public required IReadOnlyList<Guid> OrderIds { get; init; }
}
