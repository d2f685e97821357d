namespace GlobalCommerce.Contracts.Identity;

public sealed record AccessTokenRefreshed
{
    public required Guid UserId { get; init; }
    public required Guid SessionId { get; init; }
    public required DateTimeOffset At { get; init; }
}
