using GlobalCommerce.Contracts.Streams;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Streams;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GlobalCommerce.Api.Catalog;

public static class SearchApiRegistration
{
    // The API is the search host: its index and consumer group come with AddCatalog; here the request side.
    public static IServiceCollection AddSearchApi(this IServiceCollection services, IConfiguration configuration, CommerceOptions options)
    {
        services.AddCommerceStreams(configuration, options).Produce<SearchPerformed>(StreamNames.AnalyticsEvents);
        services.AddSingleton<SearchEventSink>();
        services.AddHostedService(provider => provider.GetRequiredService<SearchEventSink>());
        services.TryAddSingleton<ISearchPersonalizer, IndexOrder>();
        return services;
    }
}
