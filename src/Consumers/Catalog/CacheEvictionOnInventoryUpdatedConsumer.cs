using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Platform.Streams;

namespace GlobalCommerce.Consumers.Catalog;

// Consumer group "product-cache": the products a batch changes leave the product cache, with the version that changed
// them, so that a copy read from the catalog before the "catalog" group applied the change is not cached in their place.
public sealed class CacheEvictionOnInventoryUpdatedConsumer(ProductCache cache) : IStreamBatchConsumer<InventoryUpdated>
{
    public Task Consume(StreamBatch<InventoryUpdated> batch) =>
        cache.EvictAsync(batch.GroupBy(e => e.Message.ProductId).ToDictionary(g => g.Key, g => g.Max(e => e.Message.Version)), batch.CancellationToken);
}
