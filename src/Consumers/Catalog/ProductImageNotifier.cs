using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GlobalCommerce.Consumers.Catalog;

// Told after a product's images changed (one added or removed, its row committed), so that what shows images (the
// search index) can refresh. Called after the commit, outside any transaction.
public interface IProductImageNotifier
{
    Task ImagesChangedAsync(Guid productId, CancellationToken cancellationToken);
}

// Until the product events carry images, nobody needs telling.
public sealed class NoProductImageNotifier : IProductImageNotifier
{
    public Task ImagesChangedAsync(Guid productId, CancellationToken cancellationToken) => Task.CompletedTask;
}

public static class ProductImageRegistration
{
    public static IServiceCollection AddProductImages(this IServiceCollection services, IConfiguration configuration, CommerceOptions options)
    {
        services.AddBlobStore(configuration, options);
        services.TryAddSingleton(ProductImageOptions.From(configuration));
        services.TryAddSingleton<IProductImageNotifier, NoProductImageNotifier>();
        return services;
    }
}
