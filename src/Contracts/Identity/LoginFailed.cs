namespace GlobalCommerce.Contracts.Identity;

// UserId is null when the address belongs to no account; the address itself is never carried.
public sealed record LoginFailed
{
    public Guid? UserId { get; init; }
    public required string Reason { get; init; }
    public string? IpAddress { get; init; }
    public required DateTimeOffset At { get; init; }
}
