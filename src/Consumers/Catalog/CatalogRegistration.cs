using GlobalCommerce.Contracts.Catalog;
using GlobalCommerce.Consumers.Catalog.Search;
using GlobalCommerce.Consumers.Inventory;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Platform.Streams;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace GlobalCommerce.Consumers.Catalog;

public static class CatalogRegistration
{
    public const string ConsumerGroup = "catalog";
    public const string CacheConsumerGroup = "product-cache";

    // The API's side: it reads product_db (through the product cache) and inventory_db for stock, and seeds both with the
    // demo catalog when CommerceOptions.SeedDemoCatalog says so.
    public static IServiceCollection AddCatalog(this IServiceCollection services, IConfiguration configuration, CommerceOptions options)
    {
        services.AddCatalogDatabase(options).AddInventoryDatabase(options).AddProductCache(configuration, options);
        services.AddProductEvents(configuration, options);
        services.AddProductSearch(configuration, options);
        if (options.SeedDemoCatalog)
            services.AddHostedService<DemoCatalogSeeder>();
        return services;
    }

    public static IServiceCollection AddCatalogDatabase(this IServiceCollection services, CommerceOptions options) =>
        services.AddDomainDbContext<CatalogDbContext>(options, "catalog");

    // Whoever changes product_db announces it on product-events through the catalog's stream outbox, whose relay runs in
    // every host that writes (one at a time across hosts).
    public static IServiceCollection AddProductEvents(this IServiceCollection services, IConfiguration configuration, CommerceOptions options)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddCommerceStreams(configuration, options)
            .Produce<ProductChanged>(StreamNames.ProductEvents)
            .Outbox<CatalogDbContext>();
        services.TryAddScoped<ProductEvents>();
        return services;
    }

    // What a worker runs of the catalog: vendors' prices and availability into product_db, and the cache evictions that
    // follow product_db's changes.
    public static IBusRegistrationConfigurator AddCatalogConsumers(this IBusRegistrationConfigurator bus, IConfiguration configuration, CommerceOptions options)
    {
        bus.AddCatalogDatabase(options).AddProductCache(configuration, options).AddProductEvents(configuration, options);
        bus.AddCommerceStreams(configuration, options)
            .TopicEndpoint<CatalogDbContext>(StreamNames.InventoryEvents, ConsumerGroup, e => e.Consumer<ProductOnInventoryUpdatedConsumer>())
            .TopicEndpoint<CatalogDbContext>(StreamNames.ProductEvents, CacheConsumerGroup, e => e.Consumer<CacheEvictionOnProductChangedConsumer>());
        return bus;
    }

    // One cache per process, whichever of the API and the consumer groups asked first.
    public static IServiceCollection AddProductCache(this IServiceCollection services, IConfiguration configuration, CommerceOptions commerce)
    {
        var options = ProductCacheOptions.From(configuration, commerce);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(options);
        switch (options.Store)
        {
            case ProductCacheStore.Memory:
                services.TryAddSingleton<IProductCacheStore, MemoryProductCacheStore>();
                break;
            case ProductCacheStore.Redis:
                services.TryAddSingleton<IProductCacheStore, RedisProductCacheStore>();
                break;
        }

        services.TryAddSingleton(provider => new ProductCache(provider.GetService<IProductCacheStore>(), provider.GetRequiredService<ILogger<ProductCache>>()));
        return services;
    }
}
