namespace GlobalCommerce.Contracts.Identity;

// A refresh token was presented a second time: the whole session family was revoked.
public sealed record RefreshTokenReused
{
    public required Guid UserId { get; init; }
    public required Guid SessionId { get; init; }
    public string? IpAddress { get; init; }
    public required DateTimeOffset At { get; init; }
}
