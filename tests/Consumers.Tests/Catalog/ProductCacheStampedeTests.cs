using GlobalCommerce.Consumers.Catalog;
using GlobalCommerce.Consumers.Catalog.Search;
using GlobalCommerce.Consumers.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace GlobalCommerce.Consumers.Tests.Catalog;

// A missing or expired entry is filled once, however many requests want it at the same moment: in one process (the
// embedded default's memory store), and across processes sharing Redis (each ProductCache here stands for an API host).
public sealed class ProductCacheStampedeTests
{
    static readonly CachedProduct Lamp = new(Guid.NewGuid(), "SKU-1", "Lamp", "Lumen", "Home", "", 10m, "EUR", true, 1);

    [Fact]
    public async Task Concurrent_misses_in_one_process_load_the_product_once()
    {
        var cache = new ProductCache(new MemoryProductCacheStore(new ProductCacheOptions(), TimeProvider.System), NullLogger<ProductCache>.Instance);
        var catalog = new GatedCatalog(Lamp);

        var readers = Enumerable.Range(0, 50).Select(_ => cache.GetAsync(Lamp.Id, catalog.LoadAsync, CancellationToken.None)).ToList();
        await catalog.Entered.Task;
        catalog.Release();
        var answers = await Task.WhenAll(readers);

        Assert.Equal(1, catalog.Loads);
        Assert.All(answers, answer => Assert.Equal(Lamp, answer));
    }

    [Fact]
    public async Task A_store_that_fails_once_the_lease_is_granted_makes_the_fill_a_plain_read()
    {
        var store = new FailingReads(new MemoryProductCacheStore(new ProductCacheOptions(), TimeProvider.System), failFromCall: 2);
        var cache = new ProductCache(store, NullLogger<ProductCache>.Instance);
        var catalog = new GatedCatalog(Lamp);
        catalog.Release();

        Assert.Equal(Lamp, await cache.GetAsync(Lamp.Id, catalog.LoadAsync, CancellationToken.None));
        Assert.Equal(1, catalog.Loads);
    }

    [RedisFact]
    public async Task Concurrent_misses_on_two_hosts_sharing_redis_load_the_product_once()
    {
        var prefix = $"gc-test-{Guid.NewGuid():N}:";
        await using var storeA = RedisStore(prefix);
        await using var storeB = RedisStore(prefix);
        var hostA = new ProductCache(storeA, NullLogger<ProductCache>.Instance);
        var hostB = new ProductCache(storeB, NullLogger<ProductCache>.Instance);
        var catalog = new GatedCatalog(Lamp);

        var onA = Enumerable.Range(0, 20).Select(_ => hostA.GetAsync(Lamp.Id, catalog.LoadAsync, CancellationToken.None)).ToList();
        await catalog.Entered.Task;
        // Host A holds the lease and is reading the catalog; host B's readers wait for its entry instead of reading too.
        var onB = Enumerable.Range(0, 20).Select(_ => hostB.GetAsync(Lamp.Id, catalog.LoadAsync, CancellationToken.None)).ToList();
        await WaitUntilAsync(() => storeB.LeaseChecks > 0);
        catalog.Release();
        var answers = await Task.WhenAll([.. onA, .. onB]);

        Assert.Equal(1, catalog.Loads);
        Assert.All(answers, answer => Assert.Equal(Lamp, answer));
    }

    [RedisFact]
    public async Task When_the_lease_holder_fails_another_host_loads_the_product_itself()
    {
        var prefix = $"gc-test-{Guid.NewGuid():N}:";
        await using var storeA = RedisStore(prefix);
        await using var storeB = RedisStore(prefix);
        var hostA = new ProductCache(storeA, NullLogger<ProductCache>.Instance);
        var hostB = new ProductCache(storeB, NullLogger<ProductCache>.Instance);
        var failing = new GatedCatalog(Lamp) { Fails = true };
        var catalog = new GatedCatalog(Lamp);
        catalog.Release();

        var onA = hostA.GetAsync(Lamp.Id, failing.LoadAsync, CancellationToken.None);
        await failing.Entered.Task;
        var onB = hostB.GetAsync(Lamp.Id, catalog.LoadAsync, CancellationToken.None);
        await WaitUntilAsync(() => storeB.LeaseChecks > 0);
        failing.Release();

        await Assert.ThrowsAsync<InvalidOperationException>(() => onA);
        Assert.Equal(Lamp, await onB);
        Assert.Equal(1, catalog.Loads);
        Assert.Equal(Lamp, (await storeA.GetProductAsync(Lamp.Id, CancellationToken.None)).Entry);
    }

    [RedisFact]
    public async Task Clearing_the_search_cache_clears_every_hosts_results_in_redis()
    {
        var options = new ProductCacheOptions
        {
            Store = ProductCacheStore.Redis,
            RedisConnection = RedisFactAttribute.Connection!,
            RedisKeyPrefix = $"gc-test-{Guid.NewGuid():N}:",
        };
        await using var hostA = new SearchResultCache(options, "host-a", NullLogger<SearchResultCache>.Instance);
        await using var hostB = new SearchResultCache(options, "host-b", NullLogger<SearchResultCache>.Instance);
        var request = new SearchRequest { Text = "lamp" };
        static Func<CancellationToken, Task<SearchResults>> Answer(long total) =>
            _ => Task.FromResult(new SearchResults(total, [], new Dictionary<string, IReadOnlyList<FacetValue>>(), null));
        await hostA.GetOrSearchAsync(request, Answer(1), CancellationToken.None);
        await hostB.GetOrSearchAsync(request, Answer(1), CancellationToken.None);
        Assert.Equal(1, (await hostB.GetOrSearchAsync(request, Answer(2), CancellationToken.None)).Total);

        await hostA.ClearAsync(CancellationToken.None);

        Assert.Equal(3, (await hostA.GetOrSearchAsync(request, Answer(3), CancellationToken.None)).Total);
        Assert.Equal(3, (await hostB.GetOrSearchAsync(request, Answer(3), CancellationToken.None)).Total);
    }

    static CountingRedisStore RedisStore(string prefix) => new(new ProductCacheOptions { RedisConnection = RedisFactAttribute.Connection!, RedisKeyPrefix = prefix });

    static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the second host never looked at the lease");
            await Task.Delay(5);
        }
    }

    // The catalog behind the cache: counts its reads, holds them until released, and can fail them.
    sealed class GatedCatalog(CachedProduct product)
    {
        readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        int _loads;

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Fails { get; init; }

        public int Loads => Volatile.Read(ref _loads);

        public void Release() => _release.TrySetResult();

        public async Task<CachedProduct?> LoadAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _loads);
            Entered.TrySetResult();
            await _release.Task;
            return Fails ? throw new InvalidOperationException("the catalog failed") : product;
        }
    }

    // A store that passes every call to another; the doubles below change one call each.
    abstract class ForwardingStore(IProductCacheStore inner) : IProductCacheStore
    {
        public virtual Task<(CachedProduct? Entry, long Fence)> GetProductAsync(Guid id, CancellationToken cancellationToken) =>
            inner.GetProductAsync(id, cancellationToken);

        public Task SetProductAsync(CachedProduct product, CancellationToken cancellationToken) => inner.SetProductAsync(product, cancellationToken);

        public Task<(long Generation, IReadOnlyList<CachedProduct>? List)> GetListAsync(string category, CancellationToken cancellationToken) =>
            inner.GetListAsync(category, cancellationToken);

        public Task SetListAsync(long generation, string category, IReadOnlyList<CachedProduct> list, CancellationToken cancellationToken) =>
            inner.SetListAsync(generation, category, list, cancellationToken);

        public Task<IReadOnlyDictionary<Guid, long>> GetFencesAsync(IReadOnlyList<Guid> ids, CancellationToken cancellationToken) =>
            inner.GetFencesAsync(ids, cancellationToken);

        public Task ClearAsync(CancellationToken cancellationToken) => inner.ClearAsync(cancellationToken);

        public Task EvictAsync(IReadOnlyDictionary<Guid, long> changed, CancellationToken cancellationToken) => inner.EvictAsync(changed, cancellationToken);

        public Task<string?> TryLeaseAsync(string name, TimeSpan ttl, CancellationToken cancellationToken) => inner.TryLeaseAsync(name, ttl, cancellationToken);

        public Task ReleaseLeaseAsync(string name, string token, CancellationToken cancellationToken) => inner.ReleaseLeaseAsync(name, token, cancellationToken);

        public virtual Task<bool> IsLeasedAsync(string name, CancellationToken cancellationToken) => inner.IsLeasedAsync(name, cancellationToken);
    }

    // Product reads fail from the given call on (the first read of a miss succeeds; the re-read under the lease does not).
    sealed class FailingReads(IProductCacheStore inner, int failFromCall) : ForwardingStore(inner)
    {
        int _reads;

        public override Task<(CachedProduct? Entry, long Fence)> GetProductAsync(Guid id, CancellationToken cancellationToken) =>
            Interlocked.Increment(ref _reads) >= failFromCall
                ? throw new TimeoutException("the cache stopped answering")
                : base.GetProductAsync(id, cancellationToken);
    }

    // Counts how often a host looked whether another holds the lease (it waits for that host's entry meanwhile).
    sealed class CountingRedisStore : ForwardingStore, IAsyncDisposable
    {
        readonly RedisProductCacheStore _redis;
        int _leaseChecks;

        public CountingRedisStore(ProductCacheOptions options)
            : this(new RedisProductCacheStore(options))
        {
        }

        CountingRedisStore(RedisProductCacheStore redis)
            : base(redis) => _redis = redis;

        public int LeaseChecks => Volatile.Read(ref _leaseChecks);

        public override async Task<bool> IsLeasedAsync(string name, CancellationToken cancellationToken)
        {
            var leased = await base.IsLeasedAsync(name, cancellationToken);
            Interlocked.Increment(ref _leaseChecks);
            return leased;
        }

        public ValueTask DisposeAsync() => _redis.DisposeAsync();
    }
}
