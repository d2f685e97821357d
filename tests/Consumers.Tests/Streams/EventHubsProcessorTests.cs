using System.Text;
using Azure.Messaging.EventHubs;
using Azure.Messaging.EventHubs.Consumer;
using Azure.Messaging.EventHubs.Primitives;
using GlobalCommerce.Consumers.Tests.Support;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Platform.Streams;
using GlobalCommerce.Platform.Streams.EventHubs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace GlobalCommerce.Consumers.Tests.Streams;

// EventHubsStreamProcessor's own part: what it does with a batch the SDK hands it. A test subclass calls the protected
// OnProcessingEventBatchAsync, as the SDK's partition loop would, with events built by EventHubsModelFactory; the
// consumers are the real ledger consumer on a real database, and checkpoints go through the real
// EventHubsCheckpointStore. Covered: dispatch in order in a scope per batch, retry of a failing batch without skipping,
// the checkpoint after each batch (and none by a processor that lost the partition), the ownership expiration it must
// share with the store. Not covered: the SDK's partition loop, load balancing and AMQP receiving, which need a live
// namespace. The processor is built with a connection string naming 127.0.0.1 and never started: nothing is contacted.
public sealed class EventHubsProcessorTests
{
    const string Connection = "Endpoint=sb://127.0.0.1/;SharedAccessKeyName=k;SharedAccessKey=a2V5";
    const string Hub = StreamNames.OrderEvents;
    const string Group = "ledger";

    sealed class TestPartition : EventProcessorPartition
    {
        public TestPartition(string id) => PartitionId = id;
    }

    sealed class TestProcessor(EventHubsCheckpointStore store, StreamDispatcher dispatcher, IServiceScopeFactory scopes, string identifier)
        : EventHubsStreamProcessor(store, dispatcher, scopes, Connection, Hub, Group, 100, NullLogger.Instance,
            new EventProcessorOptions { Identifier = identifier, PartitionOwnershipExpirationInterval = store.OwnershipExpiration })
    {
        public Task HandleAsync(IEnumerable<EventData> events, string partitionId) =>
            OnProcessingEventBatchAsync(events, new TestPartition(partitionId), CancellationToken.None);
    }

    // Fails the first time it sees each listed sequence, then records; a singleton, so it outlives the batch scopes.
    sealed class Flaky
    {
        public HashSet<int> FailOnce { get; } = [];

        public List<int> Seen { get; } = [];
    }

    sealed class FlakyConsumer(Flaky flaky) : IStreamConsumer<LedgerEvent>
    {
        public Task Consume(StreamContext<LedgerEvent> context)
        {
            if (flaky.FailOnce.Remove(context.Message.Sequence))
                throw new InvalidOperationException($"failing {context.Message.Sequence} once");
            flaky.Seen.Add(context.Message.Sequence);
            return Task.CompletedTask;
        }
    }

    static async Task<(ServiceProvider Services, CommerceOptions Options)> DatabaseAsync(DatabaseProvider provider)
    {
        var options = TestDatabases.For(provider);
        var services = new ServiceCollection();
        services.AddSingleton(TimeProvider.System);
        services.AddDomainDbContext<LedgerDbContext>(options, "ledger");
        services.AddScoped<LedgerConsumer>();
        services.AddSingleton<Flaky>();
        services.AddScoped<FlakyConsumer>();
        var built = services.BuildServiceProvider();
        await TestDatabases.CreateAsync(built);
        return (built, options);
    }

    static StreamDispatcher Dispatcher<TConsumer>()
        where TConsumer : class =>
        new(new TopicEndpointConfigurator(Hub, Group, typeof(LedgerDbContext)).Consumer<TConsumer>(), new StreamTopology());

    static EventData Received(string account, int sequence, long sequenceNumber) =>
        ReceivedEvents.Of(new StreamRecord(Guid.NewGuid(), Hub, account, StreamSerializer.TypeName(typeof(LedgerEvent)),
            Encoding.UTF8.GetBytes(StreamSerializer.Serialize(new LedgerEvent(account, sequence))), DateTimeOffset.UtcNow, null), sequenceNumber);

    static Task ClaimAsync(EventHubsCheckpointStore store, string partition, string owner) =>
        store.ClaimOwnershipAsync(
            [new EventProcessorPartitionOwnership { FullyQualifiedNamespace = "127.0.0.1", EventHubName = Hub, ConsumerGroup = Group, PartitionId = partition, OwnerIdentifier = owner }],
            CancellationToken.None);

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Batches_reach_the_consumers_in_order_and_the_last_sequence_number_is_checkpointed(DatabaseProvider provider)
    {
        var (services, options) = await DatabaseAsync(provider);
        await using var _ = services;
        var store = EventHubsCheckpointStore.For<LedgerDbContext>(services);
        var processor = new TestProcessor(store, Dispatcher<LedgerConsumer>(), services.GetRequiredService<IServiceScopeFactory>(), "host-a");
        Assert.Equal((Hub, Group, "host-a"), (processor.EventHubName, processor.ConsumerGroup, processor.Identifier));
        await ClaimAsync(store, "2", "host-a");

        var events = Enumerable.Range(0, 10).Select(i => Received("acct-1", i, 100 + i)).ToList();
        await processor.HandleAsync(events.Take(6), "2");
        await processor.HandleAsync(events.Skip(6), "2");
        await processor.HandleAsync([], "2");

        await using (var scope = services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LedgerDbContext>();
            var entries = await db.Entries.AsNoTracking().OrderBy(e => e.Id).ToListAsync();
            Assert.Equal(Enumerable.Range(0, 10), entries.Select(e => e.Sequence));
            Assert.All(entries, e => Assert.Equal((Group, "acct-1", 2), (e.ConsumerGroup, e.Account, e.Partition)));
            Assert.Equal(110, await StreamStore.ReadCheckpointAsync(db, Group, Hub, 2, CancellationToken.None));
        }

        var checkpoint = await store.GetCheckpointAsync("127.0.0.1", Hub, Group, "2", CancellationToken.None);
        Assert.Equal(EventPosition.FromSequenceNumber(110, isInclusive: true), checkpoint.StartingPosition);

        // The same events again (as after a crash before the checkpoint): the inbox keeps the ledger as it was.
        await processor.HandleAsync(events.Skip(6), "2");
        await using (var scope = services.CreateAsyncScope())
            Assert.Equal(10, await scope.ServiceProvider.GetRequiredService<LedgerDbContext>().Entries.CountAsync());
        await TestDatabases.DropAsync(services, options);
    }

    [Fact]
    public async Task A_failing_batch_is_handed_over_again_whole_and_in_order_before_it_is_checkpointed()
    {
        var (services, options) = await DatabaseAsync(DatabaseProvider.Sqlite);
        await using var _ = services;
        var store = EventHubsCheckpointStore.For<LedgerDbContext>(services);
        var processor = new TestProcessor(store, Dispatcher<FlakyConsumer>(), services.GetRequiredService<IServiceScopeFactory>(), "host-a");
        await ClaimAsync(store, "0", "host-a");
        var flaky = services.GetRequiredService<Flaky>();
        flaky.FailOnce.Add(2);

        await processor.HandleAsync(Enumerable.Range(0, 4).Select(i => Received("acct-7", i, i)), "0");

        // 0 and 1 were handled before 2 failed; the retry starts the batch over, so they come twice and 2 is not skipped.
        Assert.Equal([0, 1, 0, 1, 2, 3], flaky.Seen);
        var checkpoint = await store.GetCheckpointAsync("127.0.0.1", Hub, Group, "0", CancellationToken.None);
        Assert.Equal(EventPosition.FromSequenceNumber(4, isInclusive: true), checkpoint.StartingPosition);
        await TestDatabases.DropAsync(services, options);
    }

    [Fact]
    public async Task A_processor_that_lost_its_partition_handles_the_batch_but_leaves_the_position_to_the_new_owner()
    {
        var (services, options) = await DatabaseAsync(DatabaseProvider.Sqlite);
        await using var _ = services;
        var store = EventHubsCheckpointStore.For<LedgerDbContext>(services);
        var scopes = services.GetRequiredService<IServiceScopeFactory>();
        var processor = new TestProcessor(store, Dispatcher<FlakyConsumer>(), scopes, "host-a");
        await ClaimAsync(store, "1", "host-a");
        await processor.HandleAsync([Received("acct-3", 0, 0)], "1");

        // host-b took partition 1 over (host-a stalled past the expiration).
        var listed = Assert.Single(await store.ListOwnershipAsync("127.0.0.1", Hub, Group, CancellationToken.None));
        listed.OwnerIdentifier = "host-b";
        Assert.Single(await store.ClaimOwnershipAsync([listed], CancellationToken.None));

        await processor.HandleAsync([Received("acct-3", 1, 1)], "1");

        Assert.Equal([0, 1], services.GetRequiredService<Flaky>().Seen);
        var checkpoint = await store.GetCheckpointAsync("127.0.0.1", Hub, Group, "1", CancellationToken.None);
        Assert.Equal(EventPosition.FromSequenceNumber(1, isInclusive: true), checkpoint.StartingPosition);
        await TestDatabases.DropAsync(services, options);
    }

    [Fact]
    public async Task The_processor_must_run_with_the_stores_ownership_expiration()
    {
        var (services, options) = await DatabaseAsync(DatabaseProvider.Sqlite);
        await using var _ = services;
        var scopes = services.GetRequiredService<IServiceScopeFactory>();
        var store = EventHubsCheckpointStore.For<LedgerDbContext>(services, TimeSpan.FromSeconds(30));

        var error = Assert.Throws<ArgumentException>(() => new EventHubsStreamProcessor(store, Dispatcher<LedgerConsumer>(), scopes, Connection, Hub, Group,
            100, NullLogger.Instance, new EventProcessorOptions { PartitionOwnershipExpirationInterval = TimeSpan.FromMinutes(2) }));
        Assert.Contains("OwnershipExpiration", error.Message, StringComparison.Ordinal);

        // Built with defaults from the store; constructing contacts nothing (127.0.0.1 has no Event Hubs).
        var processor = new EventHubsStreamProcessor(store, Dispatcher<LedgerConsumer>(), scopes, Connection, Hub, Group, 100, NullLogger.Instance);
        Assert.Equal(("127.0.0.1", Hub, Group), (processor.FullyQualifiedNamespace, processor.EventHubName, processor.ConsumerGroup));
        Assert.False(processor.IsRunning);
        Assert.Equal(TimeSpan.FromMinutes(2), EventHubsCheckpointStore.For<LedgerDbContext>(services).OwnershipExpiration);
        await TestDatabases.DropAsync(services, options);
    }
}
