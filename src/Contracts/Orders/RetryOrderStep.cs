namespace GlobalCommerce.Contracts.Orders;

// Support staff ask the saga to send the command of the step it waits on again (the consumers are idempotent).
public sealed record RetryOrderStep
{
    public required Guid OrderId { get; init; }
    public required string Reason { get; init; }
    public required string RequestedBy { get; init; }
}
