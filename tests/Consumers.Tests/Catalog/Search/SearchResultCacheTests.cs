using GlobalCommerce.Consumers.Catalog;
using GlobalCommerce.Consumers.Catalog.Search;
using Microsoft.Extensions.Logging.Abstractions;

namespace GlobalCommerce.Consumers.Tests.Catalog.Search;

public sealed class SearchResultCacheTests
{
    static SearchResultCache Cache() => new(new ProductCacheOptions { Store = ProductCacheStore.Memory }, "test", NullLogger<SearchResultCache>.Instance);

    static SearchResults Results(long total) => new(total, [], new Dictionary<string, IReadOnlyList<FacetValue>>(), null);

    [Fact]
    public async Task Concurrent_identical_searches_run_once_and_share_the_result()
    {
        await using var cache = Cache();
        var runs = 0;
        var release = new TaskCompletionSource();
        async Task<SearchResults> Search(CancellationToken ct)
        {
            Interlocked.Increment(ref runs);
            await release.Task;
            return Results(7);
        }

        var request = new SearchRequest { Text = "lamp" };
        var waiting = Enumerable.Range(0, 20).Select(_ => cache.GetOrSearchAsync(request, Search, CancellationToken.None)).ToList();
        release.SetResult();
        var answers = await Task.WhenAll(waiting);

        Assert.Equal(1, runs);
        Assert.All(answers, a => Assert.Equal(7, a.Total));
        Assert.Equal(7, (await cache.GetOrSearchAsync(request, Search, CancellationToken.None)).Total);
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task A_result_is_not_served_after_the_index_took_a_change_nor_stored_if_the_change_came_during_the_search()
    {
        await using var cache = Cache();
        var request = new SearchRequest { Text = "lamp" };
        await cache.GetOrSearchAsync(request, _ => Task.FromResult(Results(1)), CancellationToken.None);

        await cache.InvalidateAsync(CancellationToken.None);
        Assert.Equal(2, (await cache.GetOrSearchAsync(request, _ => Task.FromResult(Results(2)), CancellationToken.None)).Total);

        // The index takes a change while a search runs: its (older) result answers that caller but is not kept.
        var during = await cache.GetOrSearchAsync(new SearchRequest { Text = "kettle" }, async _ =>
        {
            await cache.InvalidateAsync(CancellationToken.None);
            return Results(3);
        }, CancellationToken.None);
        Assert.Equal(3, during.Total);
        Assert.Equal(4, (await cache.GetOrSearchAsync(new SearchRequest { Text = "kettle" }, _ => Task.FromResult(Results(4)), CancellationToken.None)).Total);
    }
}
