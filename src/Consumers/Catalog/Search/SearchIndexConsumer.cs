using GlobalCommerce.Contracts.Catalog;
using GlobalCommerce.Platform.Streams;

namespace GlobalCommerce.Consumers.Catalog.Search;

// The search host's consumer group on product-events: each batch's newest revision of every product goes into the index
// (idempotent: the index skips revisions it has), durably, before the group records the batch as read.
public sealed class SearchIndexConsumer(IProductSearchIndex index, SearchResultCache cache) : IStreamBatchConsumer<ProductChanged>
{
    public async Task Consume(StreamBatch<ProductChanged> batch)
    {
        var documents = batch.Select(e => e.Message).GroupBy(m => m.ProductId).Select(g => ToDocument(g.MaxBy(m => m.Revision)!)).ToList();
        await index.IndexAsync(documents, batch.CancellationToken);
        // Results cached before this batch may show an old price or miss a product: they are not served again.
        await cache.InvalidateAsync(batch.CancellationToken);
    }

    public static ProductSearchDocument ToDocument(ProductChanged change) => new(change.ProductId, change.Sku, change.Name, change.Brand,
        change.Category, change.Description, change.Price, change.Currency, change.InStock, change.ImageIds, change.CreatedAt, change.Revision);
}
