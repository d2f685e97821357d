using GlobalCommerce.Contracts.Catalog;
using GlobalCommerce.Platform.Streams;

namespace GlobalCommerce.Consumers.Catalog;

// Every change of a product in product_db is announced on product-events in the same transaction (the stream outbox):
// the caller enlists the catalog's DbContext, changes the product, and calls AnnounceAsync before it saves.
public sealed class ProductEvents(IStreamTransaction streams, ITopicProducer<ProductChanged> producer, TimeProvider clock)
{
    public void Enlist(CatalogDbContext db) => streams.Enlist(db);

    // A new revision of the product: the revision rises, the change is stamped and announced.
    public Task AnnounceAsync(Product product, IReadOnlyList<Guid> imageIds, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        product.Revision++;
        product.UpdatedAt = now;
        if (product.CreatedAt == default)
            product.CreatedAt = now;
        return producer.Produce(Changed(product, imageIds, now), product.Id.ToString("N"), cancellationToken);
    }

    public static ProductChanged Changed(Product product, IReadOnlyList<Guid> imageIds, DateTimeOffset now) => new()
    {
        ProductId = product.Id,
        Sku = product.Sku,
        VendorId = product.VendorId,
        Name = product.Name,
        Brand = product.Brand,
        Category = product.Category,
        Description = product.Description,
        Price = product.Price,
        Currency = product.Currency,
        InStock = product.InStock,
        ImageIds = imageIds,
        CreatedAt = product.CreatedAt,
        Revision = product.Revision,
        OccurredAt = now,
    };
}
