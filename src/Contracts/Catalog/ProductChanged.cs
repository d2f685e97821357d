namespace GlobalCommerce.Contracts.Catalog;

// product-events, keyed by the product id: product_db committed a change of a product (created, edited by its vendor or
// an admin, repriced or restocked by an inventory upload, its images changed). The whole product as it now is, so the
// search index and the caches follow the catalog without reading it back. Revision rises with every change of the
// product: a reader keeps the highest it has seen, so replays and late copies change nothing.
public sealed record ProductChanged
{
    public required Guid ProductId { get; init; }
    public required string Sku { get; init; }
    public required Guid VendorId { get; init; }
    public required string Name { get; init; }
    public required string Brand { get; init; }
    public required string Category { get; init; }
    public required string Description { get; init; }
    public required decimal Price { get; init; }
    public required string Currency { get; init; }
    public required bool InStock { get; init; }
    public required IReadOnlyList<Guid> ImageIds { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required long Revision { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
}
