using Azure.Messaging.EventHubs.Consumer;
using Azure.Messaging.EventHubs.Primitives;
using Azure.Messaging.EventHubs.Processor;
using GlobalCommerce.Consumers.Tests.Support;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Platform.Streams;
using GlobalCommerce.Platform.Streams.EventHubs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Consumers.Tests.Streams;

// EventHubsCheckpointStore against real SQLite and real PostgreSQL (the stream tables of a domain database, made by
// the production initializer): claiming, renewing and taking over ownership with ETags, a stale ETag claiming nothing
// (also under truly concurrent claims), listing, and checkpoints written only by the owner and read back as the next
// sequence number, the engine's meaning. Covered: the store exactly as the SDK's load balancer calls it. Not covered:
// the SDK's PartitionLoadBalancer deciding what to claim (its code, run against a live namespace only).
public sealed class EventHubsCheckpointStoreTests
{
    const string Namespace = "fake.servicebus.windows.net";
    const string Hub = StreamNames.OrderEvents;
    const string Group = "ledger";
    static readonly TimeSpan Expiration = TimeSpan.FromSeconds(60);

    sealed class Database(ServiceProvider services, CommerceOptions options) : IAsyncDisposable
    {
        public ServiceProvider Services { get; } = services;

        public ManualClock Clock { get; } = new(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));

        public EventHubsCheckpointStore Store() =>
            new(Services.GetRequiredService<IServiceScopeFactory>(), typeof(LedgerDbContext), Clock, Expiration);

        public static async Task<Database> CreateAsync(DatabaseProvider provider)
        {
            var options = TestDatabases.For(provider);
            var services = new ServiceCollection();
            services.AddDomainDbContext<LedgerDbContext>(options, "ledger");
            var built = services.BuildServiceProvider();
            await TestDatabases.CreateAsync(built);
            return new Database(built, options);
        }

        public async ValueTask DisposeAsync()
        {
            await TestDatabases.DropAsync(Services, options);
            await Services.DisposeAsync();
        }
    }

    static EventProcessorPartitionOwnership Desired(string partition, string owner, string? etag = null) => new()
    {
        FullyQualifiedNamespace = Namespace,
        EventHubName = Hub,
        ConsumerGroup = Group,
        PartitionId = partition,
        OwnerIdentifier = owner,
        LastModifiedTime = DateTimeOffset.UtcNow,
        Version = etag!,
    };

    static async Task<List<EventProcessorPartitionOwnership>> ClaimAsync(EventHubsCheckpointStore store, params EventProcessorPartitionOwnership[] desired) =>
        (await store.ClaimOwnershipAsync(desired, CancellationToken.None)).ToList();

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Ownership_is_claimed_renewed_and_listed_and_a_stale_etag_claims_nothing(DatabaseProvider provider)
    {
        await using var database = await Database.CreateAsync(provider);
        var a = database.Store();
        var b = database.Store();

        var first = await ClaimAsync(a, Desired("0", "host-a"), Desired("1", "host-a"));
        Assert.Equal(["0", "1"], first.Select(o => o.PartitionId));
        Assert.All(first, o => Assert.Equal("host-a", o.OwnerIdentifier));
        Assert.All(first, o => Assert.Equal(database.Clock.GetUtcNow(), o.LastModifiedTime));

        // Another processor that also saw no row loses: the row exists now.
        Assert.Empty(await ClaimAsync(b, Desired("0", "host-b")));

        database.Clock.Advance(TimeSpan.FromSeconds(10));
        var renewed = Assert.Single(await ClaimAsync(a, Desired("0", "host-a", first[0].Version)));
        Assert.NotEqual(first[0].Version, renewed.Version);
        Assert.Equal(database.Clock.GetUtcNow(), renewed.LastModifiedTime);

        // host-b claims with the ETag it listed before the renewal: stale, nothing changes.
        Assert.Empty(await ClaimAsync(b, Desired("0", "host-b", first[0].Version)));
        Assert.Empty(await ClaimAsync(b, Desired("0", "host-b", "not-an-etag")));

        var listed = (await b.ListOwnershipAsync(Namespace, Hub, Group, CancellationToken.None)).ToList();
        Assert.Equal(["0", "1"], listed.Select(o => o.PartitionId));
        Assert.All(listed, o => Assert.Equal("host-a", o.OwnerIdentifier));
        Assert.Equal(renewed.Version, listed[0].Version);
        Assert.Equal(first[1].Version, listed[1].Version);
        Assert.Equal(database.Clock.GetUtcNow(), listed[0].LastModifiedTime);
        Assert.Equal(database.Clock.GetUtcNow() - TimeSpan.FromSeconds(10), listed[1].LastModifiedTime);
        Assert.All(listed, o => Assert.Equal((Namespace, Hub, Group), (o.FullyQualifiedNamespace, o.EventHubName, o.ConsumerGroup)));

        // Other hubs and groups are other rows.
        Assert.Empty(await b.ListOwnershipAsync(Namespace, StreamNames.PaymentEvents, Group, CancellationToken.None));
        Assert.Empty(await b.ListOwnershipAsync(Namespace, Hub, "other-group", CancellationToken.None));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Of_concurrent_claims_with_the_same_etag_exactly_one_wins(DatabaseProvider provider)
    {
        await using var database = await Database.CreateAsync(provider);
        var seed = Assert.Single(await ClaimAsync(database.Store(), Desired("3", "host-0")));

        // Eight processors saw the same row and claim it at once, each through its own store and connection.
        using var start = new ManualResetEventSlim();
        var claims = Enumerable.Range(1, 8).Select(i => Task.Run(async () =>
        {
            start.Wait();
            return await ClaimAsync(database.Store(), Desired("3", $"host-{i}", seed.Version));
        })).ToList();
        start.Set();
        var results = await Task.WhenAll(claims);

        var winner = Assert.Single(results.SelectMany(r => r));
        var listed = Assert.Single(await database.Store().ListOwnershipAsync(Namespace, Hub, Group, CancellationToken.None));
        Assert.Equal(winner.OwnerIdentifier, listed.OwnerIdentifier);
        Assert.Equal(winner.Version, listed.Version);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task An_expired_ownership_is_taken_over_and_the_old_owner_can_neither_renew_nor_checkpoint(DatabaseProvider provider)
    {
        await using var database = await Database.CreateAsync(provider);
        var a = database.Store();
        var b = database.Store();
        var held = Assert.Single(await ClaimAsync(a, Desired("2", "host-a")));
        await a.UpdateCheckpointAsync(Namespace, Hub, Group, "2", "host-a", new CheckpointPosition("1000", 9), CancellationToken.None);

        // host-a stops renewing. What host-b lists shows an owner whose last claim is older than the expiration, which
        // is how the SDK's load balancer recognises a partition to take.
        database.Clock.Advance(Expiration + TimeSpan.FromSeconds(1));
        var seen = Assert.Single(await b.ListOwnershipAsync(Namespace, Hub, Group, CancellationToken.None));
        Assert.True(database.Clock.GetUtcNow() - seen.LastModifiedTime > Expiration);

        var taken = Assert.Single(await ClaimAsync(b, Desired("2", "host-b", seen.Version)));
        Assert.Equal("host-b", taken.OwnerIdentifier);

        Assert.Empty(await ClaimAsync(a, Desired("2", "host-a", held.Version)));
        await Assert.ThrowsAsync<PartitionOwnershipLostException>(() =>
            a.UpdateCheckpointAsync(Namespace, Hub, Group, "2", "host-a", new CheckpointPosition("5000", 49), CancellationToken.None));

        // host-b resumes where host-a checkpointed, and moves on.
        var checkpoint = await b.GetCheckpointAsync(Namespace, Hub, Group, "2", CancellationToken.None);
        Assert.Equal(EventPosition.FromSequenceNumber(10, isInclusive: true), checkpoint.StartingPosition);
        await b.UpdateCheckpointAsync(Namespace, Hub, Group, "2", "host-b", new CheckpointPosition("2000", 19), CancellationToken.None);
        checkpoint = await b.GetCheckpointAsync(Namespace, Hub, Group, "2", CancellationToken.None);
        Assert.Equal(EventPosition.FromSequenceNumber(20, isInclusive: true), checkpoint.StartingPosition);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Checkpoints_are_listed_as_the_next_sequence_number_and_a_relinquished_partition_is_free(DatabaseProvider provider)
    {
        await using var database = await Database.CreateAsync(provider);
        var store = database.Store();
        Assert.Null(await store.GetCheckpointAsync(Namespace, Hub, Group, "0", CancellationToken.None));

        var owned = await ClaimAsync(store, Desired("0", "host-a"), Desired("5", "host-a"));
        await store.UpdateCheckpointAsync(Namespace, Hub, Group, "0", "host-a", new CheckpointPosition("4100", 41), CancellationToken.None);
        await store.UpdateCheckpointAsync(Namespace, Hub, Group, "5", "host-a", new CheckpointPosition("700", 7), CancellationToken.None);
        await store.UpdateCheckpointAsync(Namespace, Hub, Group, "5", "host-a", new CheckpointPosition("800", 8), CancellationToken.None);

        var checkpoints = await store.ListCheckpointsAsync(Namespace, Hub, Group, CancellationToken.None);
        Assert.Equal(["0", "5"], checkpoints.Select(c => c.PartitionId));
        Assert.Equal(EventPosition.FromSequenceNumber(42, isInclusive: true), checkpoints[0].StartingPosition);
        Assert.Equal(EventPosition.FromSequenceNumber(9, isInclusive: true), checkpoints[1].StartingPosition);
        Assert.Equal(database.Clock.GetUtcNow(), checkpoints[1].LastModified);

        // The engine reads the same rows: a group can move between the engine's leases and the SDK's processor.
        await using (var scope = database.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LedgerDbContext>();
            Assert.Equal(42, await StreamStore.ReadCheckpointAsync(db, Group, Hub, 0, CancellationToken.None));
            Assert.Equal(9, await StreamStore.ReadCheckpointAsync(db, Group, Hub, 5, CancellationToken.None));
        }

        // A processor that never owned a partition does not move its position.
        await Assert.ThrowsAsync<PartitionOwnershipLostException>(() =>
            store.UpdateCheckpointAsync(Namespace, Hub, Group, "1", "host-a", new CheckpointPosition("100", 1), CancellationToken.None));
        Assert.Null(await store.GetCheckpointAsync(Namespace, Hub, Group, "1", CancellationToken.None));

        // Stopping, the SDK relinquishes with an empty owner: the row stays (with its checkpoint), free and expired.
        var released = Assert.Single(await ClaimAsync(store, Desired("0", "", owned[0].Version)));
        Assert.Equal("", released.OwnerIdentifier);
        var listed = (await store.ListOwnershipAsync(Namespace, Hub, Group, CancellationToken.None)).Single(o => o.PartitionId == "0");
        Assert.Equal("", listed.OwnerIdentifier);
        Assert.True(database.Clock.GetUtcNow() - listed.LastModifiedTime >= Expiration);
        Assert.Single(await ClaimAsync(database.Store(), Desired("0", "host-b", listed.Version)));
    }

    [Fact]
    public async Task A_stream_lease_table_made_before_the_etag_column_gets_it()
    {
        await using var database = await Database.CreateAsync(DatabaseProvider.Sqlite);
        await using (var scope = database.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LedgerDbContext>();
            await db.Database.ExecuteSqlRawAsync("DROP TABLE stream_lease");
            await db.Database.ExecuteSqlRawAsync(
                "CREATE TABLE stream_lease (\"ConsumerGroup\" TEXT NOT NULL, \"Stream\" TEXT NOT NULL, \"Partition\" INTEGER NOT NULL, " +
                "\"Owner\" TEXT NOT NULL, \"ExpiresAt\" INTEGER NOT NULL, PRIMARY KEY (\"ConsumerGroup\", \"Stream\", \"Partition\"))");
            await db.Database.ExecuteSqlRawAsync(
                "INSERT INTO stream_lease (\"ConsumerGroup\", \"Stream\", \"Partition\", \"Owner\", \"ExpiresAt\") VALUES ('ledger', 'order-events', 4, 'old', 0)");
            await StreamStore.EnsureTablesAsync(db, CancellationToken.None);
            await StreamStore.EnsureTablesAsync(db, CancellationToken.None);
        }

        var listed = Assert.Single(await database.Store().ListOwnershipAsync(Namespace, Hub, Group, CancellationToken.None));
        Assert.Equal("0", listed.Version);
        Assert.Single(await ClaimAsync(database.Store(), Desired("4", "host-a", listed.Version)));
    }
}
