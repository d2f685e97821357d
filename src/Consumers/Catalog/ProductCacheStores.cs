using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using StackExchange.Redis;

namespace GlobalCommerce.Consumers.Catalog;

// The embedded default's cache: one process serves the catalog and runs the "product-cache" group.
public sealed class MemoryProductCacheStore(ProductCacheOptions options, TimeProvider clock) : IProductCacheStore
{
    readonly ConcurrentDictionary<Guid, (CachedProduct Product, DateTimeOffset Expires)> _products = new();
    readonly ConcurrentDictionary<Guid, long> _fences = new();
    readonly ConcurrentDictionary<string, (long Generation, IReadOnlyList<CachedProduct> List, DateTimeOffset Expires)> _lists = new(StringComparer.Ordinal);
    long _generation;

    public Task<(CachedProduct? Entry, long Fence)> GetProductAsync(Guid id, CancellationToken cancellationToken)
    {
        var fence = _fences.GetValueOrDefault(id);
        var entry = _products.TryGetValue(id, out var cached) && cached.Expires > clock.GetUtcNow() ? cached.Product : null;
        return Task.FromResult((entry, fence));
    }

    public Task SetProductAsync(CachedProduct product, CancellationToken cancellationToken)
    {
        _products[product.Id] = (product, clock.GetUtcNow() + options.Ttl);
        return Task.CompletedTask;
    }

    public Task<(long Generation, IReadOnlyList<CachedProduct>? List)> GetListAsync(string category, CancellationToken cancellationToken)
    {
        var generation = Interlocked.Read(ref _generation);
        var list = _lists.TryGetValue(category, out var cached) && cached.Generation == generation && cached.Expires > clock.GetUtcNow()
            ? cached.List
            : null;
        return Task.FromResult((generation, list));
    }

    public Task SetListAsync(long generation, string category, IReadOnlyList<CachedProduct> list, CancellationToken cancellationToken)
    {
        _lists[category] = (generation, list, clock.GetUtcNow() + options.Ttl);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyDictionary<Guid, long>> GetFencesAsync(IReadOnlyList<Guid> ids, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<Guid, long>>(ids.Distinct().ToDictionary(id => id, id => _fences.GetValueOrDefault(id)));

    public Task ClearAsync(CancellationToken cancellationToken)
    {
        _products.Clear();
        Interlocked.Increment(ref _generation);
        _lists.Clear();
        return Task.CompletedTask;
    }

    public Task EvictAsync(IReadOnlyDictionary<Guid, long> changed, CancellationToken cancellationToken)
    {
        foreach (var (id, version) in changed)
        {
            _fences.AddOrUpdate(id, version, (_, fence) => Math.Max(fence, version));
            // An entry already at the change's revision (or later) reflects it: a late or replayed event leaves it.
            if (_products.TryGetValue(id, out var cached) && cached.Product.Revision < version)
                _products.TryRemove(KeyValuePair.Create(id, cached));
        }

        Interlocked.Increment(ref _generation);
        _lists.Clear();
        return Task.CompletedTask;
    }

    public Task<string?> TryLeaseAsync(string name, TimeSpan ttl, CancellationToken cancellationToken) => Task.FromResult<string?>("this-process");

    public Task ReleaseLeaseAsync(string name, string token, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<bool> IsLeasedAsync(string name, CancellationToken cancellationToken) => Task.FromResult(false);
}

// Real mode: shared by every API process and the workers that evict. Entries and lists expire after Ttl; a fence lives
// twice as long, past any entry written while it was being raised.
public sealed class RedisProductCacheStore(ProductCacheOptions options) : IProductCacheStore, IAsyncDisposable
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // KEYS: fence keys, then entry keys, then the generation key. ARGV: the versions, then the fence TTL in seconds.
    // An entry already at the change's revision (or later) reflects it and stays: a late or replayed event costs no miss.
    const string EvictScript = """
        local n = #ARGV - 1
        local ttl = tonumber(ARGV[#ARGV])
        for i = 1, n do
          local version = tonumber(ARGV[i])
          local current = tonumber(redis.call('GET', KEYS[i]) or '0')
          if version > current then redis.call('SET', KEYS[i], ARGV[i], 'EX', ttl) else redis.call('EXPIRE', KEYS[i], ttl) end
          local raw = redis.call('GET', KEYS[n + i])
          if raw then
            local ok, entry = pcall(cjson.decode, raw)
            if not (ok and type(entry) == 'table' and tonumber(entry.revision) and tonumber(entry.revision) >= version) then
              redis.call('DEL', KEYS[n + i])
            end
          end
        end
        return redis.call('INCR', KEYS[2 * n + 1])
        """;

    // Deletes the lease only if it is still the caller's (it may have expired and been granted to another process).
    const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    readonly Lazy<Task<ConnectionMultiplexer>> _redis = new(() => ConnectAsync(options.RedisConnection));

    RedisKey Lease(string name) => $"{options.RedisKeyPrefix}lease:{name}";

    RedisKey Entry(Guid id) => $"{options.RedisKeyPrefix}product:{id:N}";

    RedisKey Fence(Guid id) => $"{options.RedisKeyPrefix}product-fence:{id:N}";

    RedisKey Generation => $"{options.RedisKeyPrefix}products-generation";

    RedisKey List(long generation, string category) =>
        string.Create(CultureInfo.InvariantCulture, $"{options.RedisKeyPrefix}products:{generation}:{category}");

    async Task<IDatabase> DbAsync() => (await _redis.Value).GetDatabase();

    public async Task<(CachedProduct? Entry, long Fence)> GetProductAsync(Guid id, CancellationToken cancellationToken)
    {
        var values = await (await DbAsync()).StringGetAsync([Entry(id), Fence(id)]);
        var entry = values[0].IsNullOrEmpty ? null : JsonSerializer.Deserialize<CachedProduct>(values[0].ToString(), Json);
        return (entry, values[1].IsNullOrEmpty ? 0 : (long)values[1]);
    }

    public async Task SetProductAsync(CachedProduct product, CancellationToken cancellationToken) =>
        await (await DbAsync()).StringSetAsync(Entry(product.Id), JsonSerializer.Serialize(product, Json), options.Ttl);

    public async Task<(long Generation, IReadOnlyList<CachedProduct>? List)> GetListAsync(string category, CancellationToken cancellationToken)
    {
        var db = await DbAsync();
        var current = await db.StringGetAsync(Generation);
        var generation = current.IsNullOrEmpty ? 0 : (long)current;
        var list = await db.StringGetAsync(List(generation, category));
        return (generation, list.IsNullOrEmpty ? null : JsonSerializer.Deserialize<List<CachedProduct>>(list.ToString(), Json));
    }

    public async Task SetListAsync(long generation, string category, IReadOnlyList<CachedProduct> list, CancellationToken cancellationToken) =>
        await (await DbAsync()).StringSetAsync(List(generation, category), JsonSerializer.Serialize(list, Json), options.Ttl);

    public async Task<IReadOnlyDictionary<Guid, long>> GetFencesAsync(IReadOnlyList<Guid> ids, CancellationToken cancellationToken)
    {
        var distinct = ids.Distinct().ToList();
        if (distinct.Count == 0)
            return new Dictionary<Guid, long>();
        var values = await (await DbAsync()).StringGetAsync([.. distinct.Select(Fence)]);
        return distinct.Select((id, i) => (id, values[i])).ToDictionary(p => p.id, p => p.Item2.IsNullOrEmpty ? 0 : (long)p.Item2);
    }

    public async Task EvictAsync(IReadOnlyDictionary<Guid, long> changed, CancellationToken cancellationToken)
    {
        var ids = changed.Keys.ToList();
        RedisKey[] keys = [.. ids.Select(Fence), .. ids.Select(Entry), Generation];
        RedisValue[] values = [.. ids.Select(id => (RedisValue)changed[id]), (long)Math.Ceiling(2 * options.Ttl.TotalSeconds)];
        await (await DbAsync()).ScriptEvaluateAsync(EvictScript, keys, values);
    }

    // Every entry of every server goes (a SCAN, in pages), and the list generation moves on; the fences stay.
    public async Task ClearAsync(CancellationToken cancellationToken)
    {
        var redis = await _redis.Value;
        await RedisKeys.DeleteMatchingAsync(redis, $"{options.RedisKeyPrefix}product:*", cancellationToken);
        await redis.GetDatabase().StringIncrementAsync(Generation);
    }

    public async Task<string?> TryLeaseAsync(string name, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var token = Guid.NewGuid().ToString("N");
        return await (await DbAsync()).StringSetAsync(Lease(name), token, ttl, When.NotExists) ? token : null;
    }

    public async Task ReleaseLeaseAsync(string name, string token, CancellationToken cancellationToken) =>
        await (await DbAsync()).ScriptEvaluateAsync(ReleaseScript, [Lease(name)], [token]);

    public async Task<bool> IsLeasedAsync(string name, CancellationToken cancellationToken) =>
        await (await DbAsync()).KeyExistsAsync(Lease(name));

    public async ValueTask DisposeAsync()
    {
        if (_redis.IsValueCreated && _redis.Value.IsCompletedSuccessfully)
            await (await _redis.Value).DisposeAsync();
    }

    // Keeps reconnecting in the background when Redis is away at start; calls fail (and are caught) meanwhile.
    static async Task<ConnectionMultiplexer> ConnectAsync(string configuration)
    {
        var parsed = ConfigurationOptions.Parse(configuration);
        parsed.AbortOnConnectFail = false;
        return await ConnectionMultiplexer.ConnectAsync(parsed);
    }
}

public static class RedisKeys
{
    // Deletes every key matching pattern on every primary, a SCAN page (500 keys) at a time; never KEYS, which blocks Redis.
    public static async Task DeleteMatchingAsync(IConnectionMultiplexer redis, string pattern, CancellationToken cancellationToken)
    {
        var db = redis.GetDatabase();
        foreach (var server in redis.GetServers().Where(s => !s.IsReplica))
        {
            var batch = new List<RedisKey>(500);
            await foreach (var key in server.KeysAsync(pattern: pattern, pageSize: 500).WithCancellation(cancellationToken))
            {
                batch.Add(key);
                if (batch.Count == 500)
                {
                    await db.KeyDeleteAsync([.. batch]);
                    batch.Clear();
                }
            }

            if (batch.Count > 0)
                await db.KeyDeleteAsync([.. batch]);
        }
    }
}
