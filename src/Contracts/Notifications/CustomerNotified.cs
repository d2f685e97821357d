namespace GlobalCommerce.Contracts.Notifications;

public sealed record CustomerNotified
{
    public required Guid OrderId { get; init; }
    public required string Kind { get; init; }
    public required string Channel { get; init; }
}
