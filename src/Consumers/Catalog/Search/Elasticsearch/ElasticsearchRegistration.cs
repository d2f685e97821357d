using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GlobalCommerce.Consumers.Catalog.Search.Elasticsearch;

public static class ElasticsearchRegistration
{
    // For operators who run a cluster: the product search index is the Elasticsearch one named by
    // Commerce:Search:Elasticsearch. Bad settings fail here, at start-up, rather than on the first search.
    public static IServiceCollection AddElasticsearchProductIndex(this IServiceCollection services, IConfiguration configuration)
    {
        var options = ElasticsearchSearchOptions.From(configuration);
        services.TryAddSingleton(options);
        services.TryAddSingleton<ElasticsearchProductIndex>();
        services.Replace(ServiceDescriptor.Singleton<IProductSearchIndex>(provider => provider.GetRequiredService<ElasticsearchProductIndex>()));
        return services;
    }
}
