using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Platform.Streams;

// How hosts and domains declare what they produce and consume (implementation follows in the stream engine commit):
//   services.AddCommerceStreams(configuration, options)
//       .Produce<InventoryUpdated>(StreamNames.InventoryEvents)           // T → its stream
//       .Outbox<VendorDbContext>()                                         // a relay for a database that produces
//       .TopicEndpoint<InventoryDbContext>(StreamNames.InventoryEvents, "inventory", e => e.Consumer<ApplyInventoryUpdate>());
// May be called from every domain's registration; the calls add up.
public sealed class TopicEndpointConfigurator(string stream, string consumerGroup, Type databaseContext)
{
    public string Stream { get; } = stream;

    public string ConsumerGroup { get; } = consumerGroup;

    public Type DatabaseContext { get; } = databaseContext;

    public int? BatchSize { get; set; }

    public int? CheckpointEvents { get; set; }

    public TimeSpan? CheckpointInterval { get; set; }

    internal List<Type> Consumers { get; } = [];

    // TConsumer implements IStreamConsumer<T> and/or IStreamBatchConsumer<T> for one or more T; it is resolved from a
    // scope per batch.
    public TopicEndpointConfigurator Consumer<TConsumer>()
        where TConsumer : class
    {
        Consumers.Add(typeof(TConsumer));
        return this;
    }
}

public sealed class StreamsBuilder(IServiceCollection services)
{
    public IServiceCollection Services { get; } = services;

    public StreamsBuilder Produce<T>(string stream)
        where T : class => this;

    public StreamsBuilder Outbox<TDbContext>()
        where TDbContext : DbContext => this;

    public StreamsBuilder TopicEndpoint<TDbContext>(string stream, string consumerGroup, Action<TopicEndpointConfigurator> configure)
        where TDbContext : DbContext => this;
}
