using GlobalCommerce.Consumers.Vendors;
using GlobalCommerce.Contracts.Analytics;
using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Streams;

namespace GlobalCommerce.Api.Vendors;

public static class VendorUploadRegistration
{
    // The API's side of vendors: it takes uploads, works through them in the background and produces their events from
    // vendor_db's stream outbox. The consumer groups that answer (reports, alerts) run wherever the mode puts workers.
    public static IServiceCollection AddVendorUploads(this IServiceCollection services, IConfiguration configuration, CommerceOptions options)
    {
        services.AddSingleton(VendorUploadOptions.From(configuration));
        services.AddVendorDatabase(options);
        services.AddSingleton<UploadSpool>();
        services.AddSingleton<InventoryUploadProcessor>();
        services.AddHostedService(provider => provider.GetRequiredService<InventoryUploadProcessor>());
        services.AddCommerceStreams(configuration, options)
            .Produce<InventoryUpdated>(StreamNames.InventoryEvents)
            .Produce<StockLevelReported>(StreamNames.AnalyticsEvents)
            .Outbox<VendorDbContext>();
        return services;
    }
}
