namespace GlobalCommerce.Contracts.Streams;

// analytics-events, keyed by the user id: a login succeeded and started a session. No address, no IP.
public sealed record UserLoggedIn
{
    public required Guid UserId { get; init; }
    public required Guid SessionId { get; init; }
    public required bool UsedSecondFactor { get; init; }
    public required DateTimeOffset At { get; init; }
}
