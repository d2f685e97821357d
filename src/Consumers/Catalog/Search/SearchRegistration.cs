using System.Security.Cryptography;
using System.Text;
using GlobalCommerce.Consumers.Catalog.Search.Elasticsearch;
using GlobalCommerce.Consumers.Catalog.Search.Lucene;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Streams;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace GlobalCommerce.Consumers.Catalog.Search;

public static class SearchRegistration
{
    // A search host: the index (Lucene in this host's folder), the consumer group that keeps it in step with product-events,
    // its rebuild from product_db when empty, and its results cache.
    public static IServiceCollection AddProductSearch(this IServiceCollection services, IConfiguration configuration, CommerceOptions commerce)
    {
        var options = SearchOptions.From(configuration);
        services.TryAddSingleton(options);
        services.AddCatalogDatabase(commerce).AddProductCache(configuration, commerce);
        var group = "search-" + HostKey(options, commerce);
        switch (options.Backend)
        {
            case SearchBackend.Lucene:
                services.AddSingleton(provider => new LuceneProductIndex(options.IndexPathOf(commerce), options.CursorLifetime,
                    provider.GetRequiredService<ILogger<LuceneProductIndex>>()));
                services.AddSingleton<IProductSearchIndex>(provider => provider.GetRequiredService<LuceneProductIndex>());
                break;
            case SearchBackend.Elasticsearch:
                services.AddElasticsearchProductIndex(configuration);
                break;
            default:
                throw new InvalidOperationException($"The search backend {options.Backend} is not available in this build");
        }

        services.AddSingleton(provider => new SearchResultCache(provider.GetRequiredService<ProductCacheOptions>(), group,
            provider.GetRequiredService<ILogger<SearchResultCache>>()));
        services.AddSingleton<SearchReindexer>();
        services.AddHostedService<SearchIndexBootstrapper>();
        services.AddCommerceStreams(configuration, commerce)
            .TopicEndpoint<CatalogDbContext>(StreamNames.ProductEvents, group, e => e.Consumer<SearchIndexConsumer>());
        return services;
    }

    // A Lucene index is this host's own: its group is named after the machine and the folder. A cluster is shared: one group.
    static string HostKey(SearchOptions options, CommerceOptions commerce)
    {
        if (options.HostName is { Length: > 0 } name)
            return name;
        if (options.Backend == SearchBackend.Elasticsearch)
            return "elasticsearch";
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(Environment.MachineName + "|" + options.IndexPathOf(commerce)));
        return "lucene-" + Convert.ToHexStringLower(hash, 0, 4);
    }
}
