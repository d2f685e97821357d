using Microsoft.Extensions.Logging;

namespace GlobalCommerce.Consumers.Catalog;

// The catalog's fields of a product as the cache holds them (stock is read live from inventory). Revision is product_db's
// revision of the product, which the cache's fences are compared with.
public sealed record CachedProduct(Guid Id, string Sku, string Name, string Brand, string Category, string Description, decimal Price,
    string Currency, bool InStock, long Revision)
{
    public static CachedProduct From(Product product) => new(product.Id, product.Sku, product.Name, product.Brand, product.Category,
        product.Description, product.Price, product.Currency, product.InStock, product.Revision);
}

// Cache-aside for GET /api/products and /api/products/{id}, evicted by the "product-cache" consumer group.
//
// The group reads product-events, which product_db's relay produces after the change committed; a reader that loaded the
// row before the commit may still be about to store it. Each eviction therefore leaves a fence: the revision the change
// gave the product. An entry older than its product's fence is never served, and never stored;
// a list is stored only if none of its products is older than its fence, under the generation every eviction bumps.
//
// A miss is filled once per key at a time: in this process by a single flight, across processes by a short lease in the
// store (the founding document's stampede protection), so a hot product that expires costs one catalog read, not one
// per waiting request.
public sealed partial class ProductCache(IProductCacheStore? store, ILogger<ProductCache> logger)
{
    // Far above a catalog read (milliseconds); a holder that dies stalls the waiters for at most this long.
    static readonly TimeSpan LeaseTime = TimeSpan.FromSeconds(2);
    static readonly TimeSpan LeasePoll = TimeSpan.FromMilliseconds(5);
    const int MaxLeaseAttempts = 3;

    readonly SingleFlight<CachedProduct?> _products = new();
    readonly SingleFlight<IReadOnlyList<CachedProduct>?> _lists = new();

    public bool Enabled => store is not null;

    public async Task<CachedProduct?> GetAsync(Guid id, Func<CancellationToken, Task<CachedProduct?>> load, CancellationToken cancellationToken)
    {
        if (store is null)
            return await load(cancellationToken);
        var (reached, (entry, fence)) = await ReadAsync(() => store.GetProductAsync(id, cancellationToken));
        if (entry is not null && entry.Revision >= fence)
            return entry;
        if (!reached)
            return await load(cancellationToken);

        // One load per product at a time, across processes too.
        return await _products.RunAsync(id.ToString("N"), () => FillAsync($"product:{id:N}", ReadFreshAsync, LoadAndStoreAsync), cancellationToken);

        async Task<CachedProduct?> ReadFreshAsync()
        {
            (entry, fence) = await store.GetProductAsync(id, CancellationToken.None);
            return entry is not null && entry.Revision >= fence ? entry : null;
        }

        async Task<CachedProduct?> LoadAndStoreAsync()
        {
            var loaded = await load(CancellationToken.None);
            if (loaded is not null && loaded.Revision >= fence)
                await WriteAsync(() => store.SetProductAsync(loaded, CancellationToken.None));
            return loaded;
        }
    }

    // listKey: what identifies the list (a category, a page of it); null is the same as "".
    public async Task<IReadOnlyList<CachedProduct>> ListAsync(string? listKey, Func<CancellationToken, Task<IReadOnlyList<CachedProduct>>> load,
        CancellationToken cancellationToken)
    {
        if (store is null)
            return await load(cancellationToken);
        var key = listKey ?? "";
        var (reached, (generation, list)) = await ReadAsync(() => store.GetListAsync(key, cancellationToken));
        if (list is not null)
            return list;
        if (!reached)
            return await load(cancellationToken);

        var filled = await _lists.RunAsync(key, () => FillAsync($"products:{key}", ReadFreshAsync, LoadAndStoreAsync), cancellationToken);
        return filled!;

        async Task<IReadOnlyList<CachedProduct>?> ReadFreshAsync()
        {
            (generation, list) = await store.GetListAsync(key, CancellationToken.None);
            return list;
        }

        async Task<IReadOnlyList<CachedProduct>?> LoadAndStoreAsync()
        {
            var loaded = await load(CancellationToken.None);
            var (fenced, fences) = await ReadAsync(() => store.GetFencesAsync([.. loaded.Select(p => p.Id)], CancellationToken.None));
            // An empty list (an unknown category) is not kept: the keys a caller can invent must not fill the cache.
            if (fenced && loaded.Count > 0 && loaded.All(p => p.Revision >= fences.GetValueOrDefault(p.Id)))
                await WriteAsync(() => store.SetListAsync(generation, key, loaded, CancellationToken.None));
            return loaded;
        }
    }

    // Stampede protection across processes: the process holding the key's lease reads the catalog and stores the entry;
    // the others watch for the entry while the lease lasts and read the catalog themselves only if the holder left
    // without storing one (it failed, its copy was fenced, or the product does not exist). A store that fails here makes
    // this a plain cache-aside read.
    async Task<T?> FillAsync<T>(string name, Func<Task<T?>> readFresh, Func<Task<T?>> loadAndStore) where T : class
    {
        for (var attempt = 0; attempt < MaxLeaseAttempts; attempt++)
        {
            string? lease;
            try
            {
                lease = await store!.TryLeaseAsync(name, LeaseTime, CancellationToken.None);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogUnavailable(logger, exception);
                return await loadAndStore();
            }

            if (lease is not null)
            {
                try
                {
                    // The previous holder may have stored it between our miss and our lease (a failed read is a miss).
                    var (_, stored) = await ReadAsync(readFresh);
                    return stored ?? await loadAndStore();
                }
                finally
                {
                    await WriteAsync(() => store.ReleaseLeaseAsync(name, lease, CancellationToken.None));
                }
            }

            try
            {
                while (await store.IsLeasedAsync(name, CancellationToken.None))
                {
                    if (await readFresh() is { } stored)
                        return stored;
                    await Task.Delay(LeasePoll);
                }

                if (await readFresh() is { } late)
                    return late;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogUnavailable(logger, exception);
                return await loadAndStore();
            }
        }

        return await loadAndStore();
    }

    // Throws when the store cannot be reached: the consumer group retries the batch rather than lose an eviction.
    public Task EvictAsync(IReadOnlyDictionary<Guid, long> changed, CancellationToken cancellationToken) =>
        store is null || changed.Count == 0 ? Task.CompletedTask : store.EvictAsync(changed, cancellationToken);

    // The founding document's manual invalidation (an admin's request); throws when the store cannot be reached.
    public Task ClearAsync(CancellationToken cancellationToken) => store is null ? Task.CompletedTask : store.ClearAsync(cancellationToken);

    // A cache that cannot be reached is a miss: the catalog answers, slower.
    async Task<(bool Reached, T Value)> ReadAsync<T>(Func<Task<T>> read)
    {
        try
        {
            return (true, await read());
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogUnavailable(logger, exception);
            return (false, default!);
        }
    }

    async Task WriteAsync(Func<Task> write)
    {
        try
        {
            await write();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogUnavailable(logger, exception);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The product cache is unavailable; reading the catalog instead")]
    static partial void LogUnavailable(ILogger logger, Exception exception);
}

public interface IProductCacheStore
{
    // The entry (if any) and the product's fence (0 when it has none).
    Task<(CachedProduct? Entry, long Fence)> GetProductAsync(Guid id, CancellationToken cancellationToken);

    Task SetProductAsync(CachedProduct product, CancellationToken cancellationToken);

    // The current generation and the list stored under it for the category ("" for the whole catalog), if any.
    Task<(long Generation, IReadOnlyList<CachedProduct>? List)> GetListAsync(string category, CancellationToken cancellationToken);

    Task SetListAsync(long generation, string category, IReadOnlyList<CachedProduct> list, CancellationToken cancellationToken);

    Task<IReadOnlyDictionary<Guid, long>> GetFencesAsync(IReadOnlyList<Guid> ids, CancellationToken cancellationToken);

    // Drops every entry and list (the manual invalidation); the fences stay.
    Task ClearAsync(CancellationToken cancellationToken);

    // Raises each product's fence to its revision (never lowers it), drops its entry, and bumps the list generation.
    Task EvictAsync(IReadOnlyDictionary<Guid, long> changed, CancellationToken cancellationToken);

    // The right to fill a key for ttl: a token when granted (to release it with), null while another process holds it.
    // A store serving one process grants every request (its single flight already serialises the fills).
    Task<string?> TryLeaseAsync(string name, TimeSpan ttl, CancellationToken cancellationToken);

    Task ReleaseLeaseAsync(string name, string token, CancellationToken cancellationToken);

    Task<bool> IsLeasedAsync(string name, CancellationToken cancellationToken);
}

public sealed class ProductCacheOptions
{
    public const string Section = "Commerce:Catalog:Cache";

    // Memory on the embedded default (one process reads and evicts); none in the distributed mode unless Redis is
    // chosen, since a worker's eviction cannot reach an API process's memory.
    public ProductCacheStore? Store { get; set; }

    public string RedisConnection { get; set; } = "127.0.0.1:6379";

    public string RedisKeyPrefix { get; set; } = "gc:";

    public TimeSpan Ttl { get; set; } = TimeSpan.FromMinutes(5);

    public static ProductCacheOptions From(Microsoft.Extensions.Configuration.IConfiguration configuration, Platform.CommerceOptions commerce)
    {
        var options = new ProductCacheOptions();
        Microsoft.Extensions.Configuration.ConfigurationBinder.Bind(configuration.GetSection(Section), options);
        options.Store ??= commerce.IsEmbedded ? ProductCacheStore.Memory : ProductCacheStore.None;
        return options;
    }
}

public enum ProductCacheStore
{
    None,
    Memory,
    Redis,
}
