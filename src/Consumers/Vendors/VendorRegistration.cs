using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Platform.Streams;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Consumers.Vendors;

public static class VendorRegistration
{
    public const string ConsumerGroup = "vendor";

    // vendor_db: the API writes uploads and produces their events; the "vendor" group writes reports and alerts.
    public static IServiceCollection AddVendorDatabase(this IServiceCollection services, CommerceOptions options) =>
        services.AddDomainDbContext<VendorDbContext>(options, "vendor");

    // What a worker runs of the vendor domain: inventory's verdicts back into upload reports, and reorder alerts.
    public static IBusRegistrationConfigurator AddVendors(this IBusRegistrationConfigurator bus, IConfiguration configuration, CommerceOptions options)
    {
        bus.AddVendorDatabase(options);
        bus.AddCommerceStreams(configuration, options)
            .TopicEndpoint<VendorDbContext>(StreamNames.InventoryEvents, ConsumerGroup, e => e
                .Consumer<UploadReportOnInventoryUpdateRejectedConsumer>()
                .Consumer<ReorderAlertOnReorderPointReachedConsumer>());
        return bus;
    }
}
