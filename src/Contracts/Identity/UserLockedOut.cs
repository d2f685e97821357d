namespace GlobalCommerce.Contracts.Identity;

public sealed record UserLockedOut
{
    public required Guid UserId { get; init; }
    public required DateTimeOffset LockedUntil { get; init; }
    public string? IpAddress { get; init; }
    public required DateTimeOffset At { get; init; }
}
