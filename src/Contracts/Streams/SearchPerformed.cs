namespace GlobalCommerce.Contracts.Streams;

// analytics-events, keyed by the user id (or the search host for an anonymous shopper): a shopper searched the catalog.
// The words as typed (at most 200 characters), the filters and sort, how many products matched, how long the search took
// and whether the results cache answered. For search analytics and ranking models; no IP, no session.
public sealed record SearchPerformed
{
    public required Guid SearchId { get; init; }
    public required Guid? UserId { get; init; }
    public required string Query { get; init; }
    public required IReadOnlyList<string> Categories { get; init; }
    public required IReadOnlyList<string> Brands { get; init; }
    public required string Sort { get; init; }
    public required long ResultCount { get; init; }
    public required bool FirstPage { get; init; }
    public required bool Cached { get; init; }
    public required double LatencyMs { get; init; }
    public required DateTimeOffset At { get; init; }
}
