using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Platform.Streams;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GlobalCommerce.Consumers.Analytics;

public static class AnalyticsRegistration
{
    public const string ConsumerGroup = "analytics";

    // analytics_db, readable by the API (the summary) even where the consumer group runs in another process.
    public static IServiceCollection AddAnalyticsDatabase(this IServiceCollection services, CommerceOptions options) =>
        services.AddDomainDbContext<AnalyticsDbContext>(options, "analytics");

    // The analytics consumer group on every stream, its checkpoints and leases in analytics_db: each host that lists it
    // takes a fair share of the partitions.
    public static IBusRegistrationConfigurator AddAnalytics(this IBusRegistrationConfigurator bus, IConfiguration configuration, CommerceOptions options)
    {
        bus.TryAddSingleton(TimeProvider.System);
        bus.AddAnalyticsDatabase(options);
        var streams = bus.AddCommerceStreams(configuration, options);
        foreach (var stream in StreamNames.All)
        {
            streams.TopicEndpoint<AnalyticsDbContext>(stream, ConsumerGroup, e =>
            {
                // Counts are read by dashboards, not waited for by a shopper: the group's events may wait a quarter of a
                // second, and are counted in a few large transactions instead of many small ones.
                e.BatchSize = configuration.GetValue<int?>("Commerce:Analytics:BatchSize") ?? 500;
                e.BatchTimeLimit = configuration.GetValue<TimeSpan?>("Commerce:Analytics:BatchTimeLimit") ?? TimeSpan.FromMilliseconds(250);
                // Counting does not depend on the order between types: a batch is one transaction per type present, not
                // one per run of a type (an order's facts interleave with the next order's, so runs were one or two long).
                e.RunPerMessageType = true;
                // And the batches of all the group's partitions and streams in this process go in one transaction per
                // BatchTimeLimit: 4 streams × 8 partitions had made up to 32 small transactions each time.
                e.CommitTogether = true;
                e.Consumer<EventCountsConsumer>();
            });
        }
        return bus;
    }
}
