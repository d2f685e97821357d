using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Persistence;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Consumers.Catalog;

public static class CatalogRegistration
{
    // The catalog has no consumers yet; the API reads and seeds it directly.
    public static IServiceCollection AddCatalogDatabase(this IServiceCollection services, CommerceOptions options) =>
        services.AddDomainDbContext<CatalogDbContext>(options, "catalog");
}
