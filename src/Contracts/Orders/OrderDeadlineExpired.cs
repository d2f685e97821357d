namespace GlobalCommerce.Contracts.Orders;

// Published by the deadline sweeper; the saga acts only if DeadlineAt still matches its pending deadline.
public sealed record OrderDeadlineExpired
{
    public required Guid OrderId { get; init; }
    public required DateTimeOffset DeadlineAt { get; init; }
}
