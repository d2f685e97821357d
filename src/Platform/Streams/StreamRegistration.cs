using GlobalCommerce.Platform.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace GlobalCommerce.Platform.Streams;

// How hosts and domains declare what they produce and consume:
//   services.AddCommerceStreams(configuration, options)
//       .Produce<InventoryUpdated>(StreamNames.InventoryEvents)           // T → its stream
//       .Outbox<VendorDbContext>()                                         // a relay for a database that produces
//       .TopicEndpoint<InventoryDbContext>(StreamNames.InventoryEvents, "inventory", e => e.Consumer<ApplyInventoryUpdate>());
// May be called from every domain's registration; the calls add up. The backend is chosen here, once.
public static class StreamRegistration
{
    public static StreamsBuilder AddCommerceStreams(this IServiceCollection services, IConfiguration configuration, CommerceOptions options)
    {
        var existing = services.FirstOrDefault(d => d.ServiceType == typeof(StreamTopology))?.ImplementationInstance as StreamTopology;
        if (existing is not null)
            return new StreamsBuilder(services, existing);

        var topology = new StreamTopology();
        var streamOptions = StreamOptions.From(configuration);
        services.AddSingleton(topology);
        services.AddSingleton(streamOptions);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(options);
        services.AddSingleton<IStreamBackend>(provider => CreateBackend(provider, options, streamOptions));
        services.AddSingleton<StreamProducer>();
        services.AddScoped<IStreamTransaction, StreamTransaction>();
        services.AddScoped(typeof(ITopicProducer<>), typeof(TopicProducer<>));
        services.AddSingleton<StreamHost>();
        services.AddHostedService(provider => provider.GetRequiredService<StreamHost>());
        return new StreamsBuilder(services, topology);
    }

    public static StreamBackendKind BackendOf(CommerceOptions options, StreamOptions streams) =>
        streams.Backend ?? (options.IsEmbedded ? StreamBackendKind.Embedded : StreamBackendKind.RabbitMqStreams);

    // The one place that picks the backend.
    static IStreamBackend CreateBackend(IServiceProvider provider, CommerceOptions options, StreamOptions streams) =>
        BackendOf(options, streams) switch
        {
            StreamBackendKind.Embedded => new EmbeddedStreamBackend(
                streams.EmbeddedPath ?? Path.Combine(Path.GetFullPath(options.DataDirectory), "streams.db"),
                provider.GetRequiredService<TimeProvider>(), streams.EmbeddedTailEvents),
            StreamBackendKind.RabbitMqStreams => new RabbitMq.RabbitMqStreamBackend(streams, options,
                provider.GetRequiredService<Microsoft.Extensions.Logging.ILogger<RabbitMq.RabbitMqStreamBackend>>()),
            StreamBackendKind.EventHubs => EventHubs.EventHubsStreamBackend.Create(streams),
            var other => throw new InvalidOperationException($"The stream backend {other} is not available in this build"),
        };
}

public sealed class TopicEndpointConfigurator(string stream, string consumerGroup, Type databaseContext)
{
    public string Stream { get; } = stream;

    public string ConsumerGroup { get; } = consumerGroup;

    public Type DatabaseContext { get; } = databaseContext;

    public int? BatchSize { get; set; }

    public TimeSpan? BatchTimeLimit { get; set; }

    // By default a batch is handed over in runs of consecutive events of one type, so a key's events reach the consumers
    // in the order they were produced whatever their types. A group whose consumers do not depend on the order between
    // events of different types (counting, say) sets this: each type's events of the batch come as one run, in their
    // order, and a batch consumer takes one transaction per type instead of one per run.
    public bool RunPerMessageType { get; set; }

    // The group's batches from all its partitions and streams in this process go into one transaction per BatchTimeLimit
    // (SharedBatchTransaction) instead of one per partition's batch; its handlers must join an open transaction. For a
    // group whose work does not depend on the partition it came from and whose readers wait for nobody (counting).
    public bool CommitTogether { get; set; }

    public int? CheckpointEvents { get; set; }

    public TimeSpan? CheckpointInterval { get; set; }

    internal List<Type> Consumers { get; } = [];

    internal IServiceCollection? Services { get; init; }

    // TConsumer implements IStreamConsumer<T> and/or IStreamBatchConsumer<T> for one or more T; it is resolved from a
    // scope per batch.
    public TopicEndpointConfigurator Consumer<TConsumer>()
        where TConsumer : class
    {
        Consumers.Add(typeof(TConsumer));
        Services?.TryAddScoped<TConsumer>();
        return this;
    }
}

public sealed class StreamsBuilder(IServiceCollection services, StreamTopology topology)
{
    public IServiceCollection Services { get; } = services;

    public StreamsBuilder Produce<T>(string stream)
        where T : class
    {
        topology.Map(typeof(T), stream);
        return this;
    }

    // The relay that empties TDbContext's stream outbox runs in this host (one at a time across hosts).
    public StreamsBuilder Outbox<TDbContext>()
        where TDbContext : DbContext
    {
        topology.OutboxContexts.Add(typeof(TDbContext));
        return this;
    }

    // A consumer group reading `stream`, with its checkpoints and leases in TDbContext's database.
    public StreamsBuilder TopicEndpoint<TDbContext>(string stream, string consumerGroup, Action<TopicEndpointConfigurator> configure)
        where TDbContext : DbContext
    {
        if (topology.Endpoints.Any(e => e.Stream == stream && e.ConsumerGroup == consumerGroup))
            throw new InvalidOperationException($"The consumer group {consumerGroup} on {stream} is registered twice");
        var endpoint = new TopicEndpointConfigurator(stream, consumerGroup, typeof(TDbContext)) { Services = Services };
        configure(endpoint);
        topology.Endpoints.Add(endpoint);
        return this;
    }
}
