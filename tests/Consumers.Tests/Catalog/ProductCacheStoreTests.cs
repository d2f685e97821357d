using GlobalCommerce.Consumers.Catalog;
using GlobalCommerce.Consumers.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace GlobalCommerce.Consumers.Tests.Catalog;

// The two stores behind ProductCache keep the same promises: an entry older than its product's fence is never served,
// a fence never goes down, and an eviction retires every cached list.
public class ProductCacheStoreTests
{
    [Fact]
    public Task Memory_store_keeps_the_fence_promises() =>
        FencesHoldAsync(new MemoryProductCacheStore(new ProductCacheOptions(), TimeProvider.System));

    [RedisFact]
    public async Task Redis_store_keeps_the_fence_promises()
    {
        await using var store = new RedisProductCacheStore(new ProductCacheOptions
        {
            RedisConnection = RedisFactAttribute.Connection!,
            RedisKeyPrefix = $"gc-test-{Guid.NewGuid():N}:",
        });
        await FencesHoldAsync(store);
    }

    static async Task FencesHoldAsync(IProductCacheStore store)
    {
        var cache = new ProductCache(store, NullLogger<ProductCache>.Instance);
        var id = Guid.NewGuid();
        var catalog = new CachedProduct(id, "SKU-1", "Lamp", "Lumen", "Home", "", 10m, "EUR", true, 0);
        Task<CachedProduct?> LoadAsync(CancellationToken ct) => Task.FromResult<CachedProduct?>(catalog);
        Task<IReadOnlyList<CachedProduct>> ListAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<CachedProduct>>([catalog]);

        await cache.GetAsync(id, LoadAsync, CancellationToken.None);
        await cache.ListAsync("Home", ListAsync, CancellationToken.None);
        Assert.Equal(catalog, (await store.GetProductAsync(id, CancellationToken.None)).Entry);
        Assert.NotNull((await store.GetListAsync("Home", CancellationToken.None)).List);

        await store.EvictAsync(new Dictionary<Guid, long> { [id] = 7 }, CancellationToken.None);
        Assert.Equal((null, 7L), await store.GetProductAsync(id, CancellationToken.None));
        Assert.Null((await store.GetListAsync("Home", CancellationToken.None)).List);

        // A copy read from the catalog before it applied version 7 is served but neither cached nor listed.
        Assert.Equal(10m, (await cache.GetAsync(id, LoadAsync, CancellationToken.None))!.Price);
        Assert.Single(await cache.ListAsync("Home", ListAsync, CancellationToken.None));
        Assert.Null((await store.GetProductAsync(id, CancellationToken.None)).Entry);
        Assert.Null((await store.GetListAsync("Home", CancellationToken.None)).List);

        // An older eviction read again (a replay) does not lower the fence.
        await store.EvictAsync(new Dictionary<Guid, long> { [id] = 3 }, CancellationToken.None);
        Assert.Equal(7L, (await store.GetProductAsync(id, CancellationToken.None)).Fence);

        catalog = catalog with { Price = 12m, Revision = 7 };
        await cache.GetAsync(id, LoadAsync, CancellationToken.None);
        await cache.ListAsync("Home", ListAsync, CancellationToken.None);
        Assert.Equal(12m, (await store.GetProductAsync(id, CancellationToken.None)).Entry!.Price);
        Assert.Equal(12m, (await store.GetListAsync("Home", CancellationToken.None)).List!.Single().Price);

        // The event of version 7 read late (or again): the entry already reflects it and stays; lists still move on.
        await store.EvictAsync(new Dictionary<Guid, long> { [id] = 7 }, CancellationToken.None);
        Assert.Equal((12m, 7L), ((await store.GetProductAsync(id, CancellationToken.None)).Entry!.Price, (await store.GetProductAsync(id, CancellationToken.None)).Fence));
        Assert.Null((await store.GetListAsync("Home", CancellationToken.None)).List);

        // A later change drops it.
        await store.EvictAsync(new Dictionary<Guid, long> { [id] = 8 }, CancellationToken.None);
        Assert.Equal((null, 8L), await store.GetProductAsync(id, CancellationToken.None));
    }
}
