namespace GlobalCommerce.Contracts.Erasure;

// Starts the erasure saga. OrderIds are the customer's orders as the API saw them: the domains keyed by order
// (shipping, payments, notifications) hold no customer id to search by.
public sealed record EraseCustomer
{
    public required Guid ErasureId { get; init; }
    public required Guid CustomerId { get; init; }
    public required IReadOnlyList<Guid> OrderIds { get; init; }
    public required DateTimeOffset RequestedAt { get; init; }
}
