using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GlobalCommerce.Platform.Blobs;

public static class BlobRegistration
{
    // One store per process, whichever domain asks first; Commerce:Blobs:Store picks it.
    public static IServiceCollection AddBlobStore(this IServiceCollection services, IConfiguration configuration, CommerceOptions commerce)
    {
        var options = BlobOptions.From(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(options);
        services.TryAddSingleton(provider => BlobUrlSigner.Create(options, commerce, provider.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<IBlobStore>(provider => options.Store switch
        {
            BlobStoreKind.Azure => new AzureBlobStore(new BlobServiceClient(options.AzureConnectionString), provider.GetRequiredService<BlobUrlSigner>(),
                provider.GetRequiredService<TimeProvider>()),
            _ => new LocalBlobStore(options.Directory is { Length: > 0 } folder ? folder : Path.Combine(commerce.DataDirectory, "blobs"),
                provider.GetRequiredService<BlobUrlSigner>()),
        });
        return services;
    }
}
