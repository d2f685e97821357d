namespace GlobalCommerce.Contracts.Identity;

public sealed record UserLoggedIn
{
    public required Guid UserId { get; init; }
    public required Guid SessionId { get; init; }
    public required bool UsedSecondFactor { get; init; }
    public string? IpAddress { get; init; }
    public required DateTimeOffset At { get; init; }
}
