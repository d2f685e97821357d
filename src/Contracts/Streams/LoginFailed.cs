namespace GlobalCommerce.Contracts.Streams;

// analytics-events: a login failed. UserId is null (and the key "anonymous") when the address belongs to no account;
// the address itself is never carried. Reason: unknown-account, wrong-password, wrong-second-factor, locked-out, ...
public sealed record LoginFailed
{
    public Guid? UserId { get; init; }
    public required string Reason { get; init; }
    public required DateTimeOffset At { get; init; }
}
