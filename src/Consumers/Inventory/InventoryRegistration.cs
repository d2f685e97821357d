using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Platform.Messaging.Outbox;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Platform.Streams;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Consumers.Inventory;

public static class InventoryRegistration
{
    public const string ConsumerGroup = "inventory";

    // inventory_db, readable by the API (available stock) even where the consumers run in another process.
    public static IServiceCollection AddInventoryDatabase(this IServiceCollection services, CommerceOptions options) =>
        services.AddDomainDbContext<InventoryDbContext>(options, "inventory");

    public static IBusRegistrationConfigurator AddInventory(this IBusRegistrationConfigurator bus, IConfiguration configuration, CommerceOptions options)
    {
        bus.AddDomainConsumers<InventoryDbContext>(configuration, options, "inventory")
            .Consumer<ReserveInventoryConsumer>(sharesCommits: true)
            .Consumer<CommitInventoryConsumer>(sharesCommits: true)
            .Consumer<ReleaseInventoryConsumer>(sharesCommits: true);
        bus.AddCommerceStreams(configuration, options)
            .Produce<InventoryUpdateRejected>(StreamNames.InventoryEvents)
            .Produce<ReorderPointReached>(StreamNames.InventoryEvents)
            .Produce<Contracts.Streams.InventoryReserved>(StreamNames.InventoryEvents)
            .Produce<Contracts.Streams.InventoryCommitted>(StreamNames.InventoryEvents)
            .Produce<Contracts.Streams.InventoryReleased>(StreamNames.InventoryEvents)
            .Outbox<InventoryDbContext>()
            .TopicEndpoint<InventoryDbContext>(StreamNames.InventoryEvents, ConsumerGroup, e => e.Consumer<StockOnInventoryUpdatedConsumer>());
        return bus;
    }
}
