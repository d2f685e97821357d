namespace GlobalCommerce.Contracts.Streams;

// analytics-events: a refresh token was rotated for a new access token.
public sealed record AccessTokenRefreshed
{
    public required Guid UserId { get; init; }
    public required Guid SessionId { get; init; }
    public required DateTimeOffset At { get; init; }
}
