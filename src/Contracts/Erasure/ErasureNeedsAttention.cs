namespace GlobalCommerce.Contracts.Erasure;

// The erasure ran out of re-sends with domains still unconfirmed: support has to look.
public sealed record ErasureNeedsAttention
{
    public required Guid ErasureId { get; init; }
    public required Guid CustomerId { get; init; }
    public required IReadOnlyList<string> UnconfirmedDomains { get; init; }
    public required DateTimeOffset At { get; init; }
}
