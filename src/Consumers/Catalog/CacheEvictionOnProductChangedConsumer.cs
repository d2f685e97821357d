using GlobalCommerce.Contracts.Catalog;
using GlobalCommerce.Platform.Streams;

namespace GlobalCommerce.Consumers.Catalog;

// Consumer group "product-cache" on product-events: the products a batch changed leave the product cache with the
// revision that changed them, so that a copy read from the catalog before the change committed is not cached in their
// place, and every cached search is dropped (a price, an availability or a name may have moved any result).
public sealed class CacheEvictionOnProductChangedConsumer(ProductCache cache) : IStreamBatchConsumer<ProductChanged>
{
    public Task Consume(StreamBatch<ProductChanged> batch) =>
        cache.EvictAsync(batch.GroupBy(e => e.Message.ProductId).ToDictionary(g => g.Key, g => g.Max(e => e.Message.Revision)), batch.CancellationToken);
}
