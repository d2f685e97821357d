namespace GlobalCommerce.Contracts.Streams;

// analytics-events: a used refresh token was presented again; the whole session was revoked.
public sealed record RefreshTokenReused
{
    public required Guid UserId { get; init; }
    public required Guid SessionId { get; init; }
    public required DateTimeOffset At { get; init; }
}
