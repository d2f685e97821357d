using GlobalCommerce.Consumers.Inventory;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Persistence;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Consumers.Catalog;

public static class CatalogRegistration
{
    // The catalog has no consumers yet: the API reads product_db (and inventory_db for stock) directly, and seeds both
    // with the demo catalog when CommerceOptions.SeedDemoCatalog says so.
    public static IServiceCollection AddCatalog(this IServiceCollection services, CommerceOptions options)
    {
        services.AddCatalogDatabase(options).AddInventoryDatabase(options);
        if (options.SeedDemoCatalog)
            services.AddHostedService<DemoCatalogSeeder>();
        return services;
    }

    public static IServiceCollection AddCatalogDatabase(this IServiceCollection services, CommerceOptions options) =>
        services.AddDomainDbContext<CatalogDbContext>(options, "catalog");
}
