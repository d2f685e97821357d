using System.Runtime.CompilerServices;
using GlobalCommerce.Consumers.Catalog.Search.Lucene;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GlobalCommerce.Consumers.Catalog.Search;

// Rebuilds the search index from product_db: the reindex command, and a host whose index is empty. Events of changes made
// meanwhile are applied by the consumer group on top (the index keeps the higher revision either way).
public sealed class SearchReindexer(IServiceScopeFactory scopes, IProductSearchIndex index)
{
    const int Page = 2000;

    public async Task<long> RebuildAsync(IProgress<long>? progress, CancellationToken cancellationToken)
    {
        if (index is LuceneProductIndex lucene)
        {
            long total = 0;
            await lucene.ReplaceAllAsync(CountingAsync(ReadAllAsync(cancellationToken), () => total++), progress, cancellationToken);
            return total;
        }

        long indexed = 0;
        var batch = new List<ProductSearchDocument>(Page);
        await foreach (var product in ReadAllAsync(cancellationToken))
        {
            batch.Add(product);
            if (batch.Count < Page)
                continue;
            await index.IndexAsync(batch, cancellationToken);
            indexed += batch.Count;
            progress?.Report(indexed);
            batch.Clear();
        }

        await index.IndexAsync(batch, cancellationToken);
        indexed += batch.Count;
        progress?.Report(indexed);
        return indexed;
    }

    public async Task<long> CatalogSizeAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<CatalogDbContext>().Products.LongCountAsync(cancellationToken);
    }

    static async IAsyncEnumerable<ProductSearchDocument> CountingAsync(IAsyncEnumerable<ProductSearchDocument> products, Action count)
    {
        await foreach (var product in products)
        {
            count();
            yield return product;
        }
    }

    // One streaming read (a 100,000-product catalog takes about a second), the image ids a page at a time beside it.
    async IAsyncEnumerable<ProductSearchDocument> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        await using var imageScope = scopes.CreateAsyncScope();
        var imageDb = imageScope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        var page = new List<Product>(Page);
        await foreach (var product in db.Products.AsNoTracking().AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            page.Add(product);
            if (page.Count < Page)
                continue;
            foreach (var document in await DocumentsAsync(imageDb, page, cancellationToken))
                yield return document;
            page.Clear();
        }

        foreach (var document in await DocumentsAsync(imageDb, page, cancellationToken))
            yield return document;
    }

    static async Task<List<ProductSearchDocument>> DocumentsAsync(CatalogDbContext db, List<Product> page, CancellationToken cancellationToken)
    {
        var images = page.Count == 0 ? [] : await ProductImageIds.OfAsync(db, [.. page.Select(p => p.Id)], cancellationToken);
        // The same document the product's last ProductChanged gave the index (one mapping for both ways in).
        return [.. page.Select(product => SearchIndexConsumer.ToDocument(
            ProductEvents.Changed(product, images.GetValueOrDefault(product.Id, []), product.UpdatedAt)))];
    }
}

// A host whose index is empty (new, or its folder lost) fills it from product_db once it has started.
public sealed partial class SearchIndexBootstrapper(SearchOptions options, SearchReindexer reindexer, IProductSearchIndex index,
    ILogger<SearchIndexBootstrapper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.RebuildWhenEmpty)
            return;
        try
        {
            if (await index.CountAsync(stoppingToken) > 0 || await reindexer.CatalogSizeAsync(stoppingToken) == 0)
                return;
            var indexed = await reindexer.RebuildAsync(null, stoppingToken);
            LogRebuilt(logger, indexed);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogFailed(logger, exception);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The search index was empty: rebuilt it from the catalog ({Products} products)")]
    static partial void LogRebuilt(ILogger logger, long products);

    [LoggerMessage(Level = LogLevel.Error, Message = "Rebuilding the empty search index from the catalog failed; run the reindex command")]
    static partial void LogFailed(ILogger logger, Exception exception);
}
