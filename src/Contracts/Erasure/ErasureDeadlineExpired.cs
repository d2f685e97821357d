namespace GlobalCommerce.Contracts.Erasure;

// Published by the erasure deadline sweeper; the saga acts only if DeadlineAt still matches its pending deadline.
public sealed record ErasureDeadlineExpired
{
    public required Guid ErasureId { get; init; }
    public required DateTimeOffset DeadlineAt { get; init; }
}
