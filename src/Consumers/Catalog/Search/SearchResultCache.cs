using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace GlobalCommerce.Consumers.Catalog.Search;

// The search results cache of one search host (the founding document's 5-minute search cache): in memory on the
// embedded default, in Redis when the product cache is. Entries are keyed by the host and a generation that the host's
// own index consumer raises after every batch it indexed, so a result is never served after the index took a change
// (a new price, a product added) that the result predates, and one host's results never stand for another's index.
// One search runs per key at a time in this process; the others wait for its result (stampede protection).
public sealed partial class SearchResultCache : IAsyncDisposable
{
    const int MaxMemoryEntries = 10_000;

    readonly ProductCacheStore _store;
    readonly TimeSpan _ttl;
    readonly string _prefix;
    readonly string _everyHost;
    readonly ILogger<SearchResultCache> _logger;
    readonly SingleFlight<SearchResults> _running = new();
    readonly ConcurrentDictionary<string, (SearchResults Results, long Expires)> _memory = new(StringComparer.Ordinal);
    readonly Lazy<Task<ConnectionMultiplexer>>? _redis;
    // Starts from the clock, so a restarted host never reads what its previous run stored in Redis.
    long _generation = DateTime.UtcNow.Ticks;

    public SearchResultCache(ProductCacheOptions options, string hostKey, ILogger<SearchResultCache> logger)
    {
        _store = options.Store ?? ProductCacheStore.None;
        _ttl = options.Ttl;
        _prefix = $"{options.RedisKeyPrefix}search:{hostKey}:";
        _everyHost = $"{options.RedisKeyPrefix}search:*";
        _logger = logger;
        if (_store == ProductCacheStore.Redis)
        {
            _redis = new(async () =>
            {
                var parsed = ConfigurationOptions.Parse(options.RedisConnection);
                parsed.AbortOnConnectFail = false;
                return await ConnectionMultiplexer.ConnectAsync(parsed);
            });
        }
    }

    public long Generation => Interlocked.Read(ref _generation);

    long _hits;
    long _misses;

    public long Hits => Interlocked.Read(ref _hits);

    public long Misses => Interlocked.Read(ref _misses);

    public async Task<SearchResults> GetOrSearchAsync(SearchRequest request, Func<CancellationToken, Task<SearchResults>> search,
        CancellationToken cancellationToken)
    {
        if (_store == ProductCacheStore.None)
            return await search(cancellationToken);
        var generation = Generation;
        var key = $"{_prefix}{generation}:{SearchRequestKeys.CacheKey(request)}";
        if (await ReadAsync(key) is { } cached)
        {
            Interlocked.Increment(ref _hits);
            return cached;
        }

        Interlocked.Increment(ref _misses);
        // One search per key at a time; a key belongs to this host alone, so no other process fills it.
        return await _running.RunAsync(key, async () =>
        {
            var results = await search(CancellationToken.None);
            if (Generation == generation)
                await WriteAsync(key, results);
            return results;
        }, cancellationToken);
    }

    public Task InvalidateAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _generation);
        _memory.Clear();
        return Task.CompletedTask;
    }

    // The manual invalidation: this host's results, and in Redis every host's (their keys all live there). Throws when
    // Redis cannot be reached.
    public async Task ClearAsync(CancellationToken cancellationToken)
    {
        await InvalidateAsync(cancellationToken);
        if (_redis is not null)
            await RedisKeys.DeleteMatchingAsync(await _redis.Value, _everyHost, cancellationToken);
    }

    async Task<SearchResults?> ReadAsync(string key)
    {
        if (_redis is null)
            return _memory.TryGetValue(key, out var entry) && entry.Expires > Environment.TickCount64 ? entry.Results : null;
        try
        {
            var value = await (await _redis.Value).GetDatabase().StringGetAsync(key);
            return value.IsNullOrEmpty ? null : JsonSerializer.Deserialize((byte[])value!, SearchJsonContext.Default.SearchResults);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException or JsonException)
        {
            LogUnavailable(_logger, exception);
            return null;
        }
    }

    async Task WriteAsync(string key, SearchResults results)
    {
        if (_redis is null)
        {
            if (_memory.Count >= MaxMemoryEntries)
                _memory.Clear();
            _memory[key] = (results, Environment.TickCount64 + (long)_ttl.TotalMilliseconds);
            return;
        }

        try
        {
            await (await _redis.Value).GetDatabase().StringSetAsync(key, JsonSerializer.SerializeToUtf8Bytes(results, SearchJsonContext.Default.SearchResults), _ttl);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            LogUnavailable(_logger, exception);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_redis is { IsValueCreated: true })
            await (await _redis.Value).DisposeAsync();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The search cache is unavailable; searching the index instead")]
    static partial void LogUnavailable(ILogger logger, Exception exception);
}
