namespace GlobalCommerce.Contracts.Streams;

// analytics-events: too many failed attempts locked the account until LockedUntil.
public sealed record UserLockedOut
{
    public required Guid UserId { get; init; }
    public required DateTimeOffset LockedUntil { get; init; }
    public required DateTimeOffset At { get; init; }
}
