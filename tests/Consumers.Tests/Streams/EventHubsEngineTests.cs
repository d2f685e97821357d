using GlobalCommerce.Consumers.Tests.Support;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Platform.Streams;
using GlobalCommerce.Platform.Streams.EventHubs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GlobalCommerce.Consumers.Tests.Streams;

// The production stream engine (outbox relay, consumer group leases, reader loops, checkpoints in the ledger database)
// on EventHubsStreamBackend, with the namespace replaced at the SDK's seam by an in-memory hub: batches the backend
// sends land in partitions chosen by a hash of their key and numbered as the service numbers them, and PartitionReceiver
// doubles read them from the position the backend asks for. Covered: that sequence numbers work as the engine's offsets
// (a restarted group resumes exactly at its checkpoint: nothing read twice, nothing skipped) and order per key end to
// end. Not covered: the service's own placement, delivery and timing, which only a real namespace shows.
public sealed class EventHubsEngineTests
{
    sealed class Host(IHost host) : IAsyncDisposable
    {
        public IServiceProvider Services => host.Services;

        public static async Task<Host> StartAsync(CommerceOptions options, FakeEventHubsClients clients)
        {
            var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
            builder.Logging.ClearProviders();
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Commerce:Streams:Backend"] = "EventHubs",
                ["Commerce:Streams:EventHubsConnection"] = "Endpoint=sb://127.0.0.1/;SharedAccessKeyName=k;SharedAccessKey=a2V5",
                ["Commerce:Streams:CheckpointEvents"] = "10",
                ["Commerce:Streams:LeaseDuration"] = "00:00:03",
                ["Commerce:Streams:ReadWait"] = "00:00:00.200",
                ["Commerce:Streams:BatchSize"] = "50",
            });
            builder.Services.AddSingleton(TimeProvider.System);
            builder.Services.AddDomainDbContext<LedgerDbContext>(options, "ledger");
            builder.Services.AddCommerceStreams(builder.Configuration, options)
                .Produce<LedgerEvent>(StreamNames.OrderEvents)
                .Outbox<LedgerDbContext>()
                .TopicEndpoint<LedgerDbContext>(StreamNames.OrderEvents, "ledger", e => e.Consumer<LedgerConsumer>());
            // The registration built from configuration, its clients swapped for the in-memory hub.
            builder.Services.AddSingleton<IStreamBackend>(new EventHubsStreamBackend(clients));
            var host = builder.Build();
            await TestDatabases.CreateAsync(host.Services);
            await host.StartAsync();
            return new Host(host);
        }

        public async Task ProduceAsync(IEnumerable<LedgerEvent> events)
        {
            await using var scope = Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<LedgerDbContext>();
            scope.ServiceProvider.GetRequiredService<IStreamTransaction>().Enlist(db);
            var producer = scope.ServiceProvider.GetRequiredService<ITopicProducer<LedgerEvent>>();
            await using var transaction = await db.Database.BeginTransactionAsync();
            foreach (var e in events)
                await producer.Produce(e, e.Account);
            await db.SaveChangesAsync();
            await transaction.CommitAsync();
        }

        public async Task<(List<LedgerEntry> Entries, int Deliveries)> WaitForAsync(int count)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (true)
            {
                await using var scope = Services.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<LedgerDbContext>();
                var entries = await db.Entries.AsNoTracking().OrderBy(e => e.Id).ToListAsync();
                if (entries.Count >= count || DateTime.UtcNow > deadline)
                    return (entries, await db.Deliveries.CountAsync());
                await Task.Delay(50);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await host.StopAsync();
            host.Dispose();
        }
    }

    static IEnumerable<LedgerEvent> Accounts(int accounts, int perAccount, int from = 0) =>
        Enumerable.Range(from, perAccount).SelectMany(seq => Enumerable.Range(0, accounts).Select(a => new LedgerEvent($"acct-{a}", seq)));

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_consumer_group_on_Event_Hubs_reads_each_event_once_in_order_per_key_and_resumes_at_its_checkpoint(DatabaseProvider provider)
    {
        var options = TestDatabases.For(provider);
        var clients = new FakeEventHubsClients { InMemoryPartitions = 8 };
        foreach (var stream in StreamNames.All)
            clients.Hubs[stream] = 8;

        await using (var first = await Host.StartAsync(options, clients))
        {
            await first.ProduceAsync(Accounts(12, 10));
            Assert.Equal(120, (await first.WaitForAsync(120)).Entries.Count);
        }

        // Stopped cleanly: every partition's position was written; the restart opens each reader at that sequence number.
        await using var second = await Host.StartAsync(options, clients);
        await second.ProduceAsync(Accounts(12, 5, from: 10));
        var (entries, _) = await second.WaitForAsync(180);
        await Task.Delay(500);
        var (_, deliveries) = await second.WaitForAsync(180);

        Assert.Equal(180, entries.Count);
        Assert.Equal(180, deliveries);
        foreach (var account in entries.GroupBy(e => e.Account))
        {
            Assert.Equal(Enumerable.Range(0, 15), account.Select(e => e.Sequence));
            Assert.Single(account.Select(e => e.Partition).Distinct());
        }

        // Every key's batches carried the key, and the resumed readers started past sequence number 0.
        Assert.All(clients.Sent, b => Assert.All(b.Events, e => Assert.Equal(b.PartitionKey, e.Properties[EventHubsEnvelope.PartitionKeyProperty])));
        Assert.Contains(clients.Receivers, r => !r.Position.Equals(Azure.Messaging.EventHubs.Consumer.EventPosition.Earliest));
        await TestDatabases.DropAsync(second.Services, options);
    }
}
