using GlobalCommerce.Consumers.Tests.Support;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Platform.Streams;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GlobalCommerce.Consumers.Tests.Streams;

public sealed record LedgerEvent(string Account, int Sequence);

// A ledger database: what a consumer group applied (once per event, thanks to StreamInbox) and every delivery it saw
// (to tell a replay from a resume).
public sealed class LedgerDbContext(DbContextOptions<LedgerDbContext> options) : DbContext(options)
{
    public DbSet<LedgerEntry> Entries => Set<LedgerEntry>();

    public DbSet<LedgerDelivery> Deliveries => Set<LedgerDelivery>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder) =>
        configurationBuilder.ApplyProviderConventions(Database);

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.AddStreamTables();
        modelBuilder.Entity<LedgerEntry>().ToTable("ledger_entry").HasKey(e => e.Id);
        modelBuilder.Entity<LedgerDelivery>().ToTable("ledger_delivery").HasKey(e => e.Id);
    }
}

public class LedgerEntry
{
    public long Id { get; set; }

    public required string ConsumerGroup { get; set; }

    public required string Account { get; set; }

    public int Sequence { get; set; }

    public int Partition { get; set; }
}

public class LedgerDelivery
{
    public long Id { get; set; }

    public required string ConsumerGroup { get; set; }

    public Guid EventId { get; set; }

    // The size of the batch the event came in.
    public int BatchSize { get; set; }
}

public sealed class LedgerConsumer(LedgerDbContext db, TimeProvider clock) : IStreamBatchConsumer<LedgerEvent>
{
    // Accounts whose events make the consumer throw (a poison event), for as long as they are listed.
    public static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> Poisoned = new(StringComparer.Ordinal);

    // Groups whose batches are watched for overlap: each batch takes a while, and the most batches seen in progress at
    // once, in any host of the process, is kept.
    public static readonly System.Collections.Concurrent.ConcurrentDictionary<string, OverlapProbe> Watched = new(StringComparer.Ordinal);

    public async Task Consume(StreamBatch<LedgerEvent> batch)
    {
        if (batch.FirstOrDefault(c => Poisoned.ContainsKey(c.Message.Account)) is { } poison)
            throw new InvalidOperationException($"Poison event for {poison.Message.Account}");
        using var watching = Watched.TryGetValue(batch.ConsumerGroup, out var probe) ? await probe.EnterAsync() : null;
        // Inside the group's shared transaction (CommitTogether), or in its own.
        await using var transaction = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(batch.CancellationToken) : null;
        foreach (var context in batch)
            db.Deliveries.Add(new LedgerDelivery { ConsumerGroup = batch.ConsumerGroup, EventId = context.EventId, BatchSize = batch.Count });
        foreach (var context in await StreamInbox.FirstSeenAsync(db, batch, clock))
        {
            db.Entries.Add(new LedgerEntry
            {
                ConsumerGroup = batch.ConsumerGroup,
                Account = context.Message.Account,
                Sequence = context.Message.Sequence,
                Partition = context.Partition,
            });
        }

        await db.SaveChangesAsync(batch.CancellationToken);
        if (transaction is not null)
            await transaction.CommitAsync(batch.CancellationToken);
    }
}

public sealed class OverlapProbe
{
    int _active;
    int _most;

    public int MostAtOnce => Volatile.Read(ref _most);

    public async Task<IDisposable> EnterAsync()
    {
        var now = Interlocked.Increment(ref _active);
        int seen;
        while (now > (seen = Volatile.Read(ref _most)) && Interlocked.CompareExchange(ref _most, now, seen) != seen)
        {
        }

        await Task.Delay(50);
        return new Exit(this);
    }

    sealed class Exit(OverlapProbe probe) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref probe._active);
    }
}

// A host with the production stream engine on the embedded backend (a shared streams file), a ledger database and
// one or more consumer groups of LedgerConsumer.
public sealed class StreamTestHost : IAsyncDisposable
{
    readonly IHost _host;

    StreamTestHost(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    public StreamHost Streams => _host.Services.GetRequiredService<StreamHost>();

    public static async Task<StreamTestHost> StartAsync(CommerceOptions options, string streamsFile, IEnumerable<string> groups,
        int checkpointEvents = 1000, TimeSpan? leaseDuration = null, int batchSize = 50, TimeSpan? batchTimeLimit = null,
        TimeSpan? inboxPruneInterval = null, TimeSpan? relayLinger = null, Action<IServiceCollection>? services = null,
        bool commitTogether = false)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Commerce:Streams:EmbeddedPath"] = streamsFile,
            ["Commerce:Streams:CheckpointEvents"] = checkpointEvents.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Commerce:Streams:LeaseDuration"] = (leaseDuration ?? TimeSpan.FromSeconds(3)).ToString(),
            ["Commerce:Streams:ReadWait"] = "00:00:00.200",
            ["Commerce:Streams:BatchSize"] = batchSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Commerce:Streams:BatchTimeLimit"] = (batchTimeLimit ?? TimeSpan.Zero).ToString(),
            ["Commerce:Streams:InboxPruneInterval"] = (inboxPruneInterval ?? TimeSpan.FromMinutes(10)).ToString(),
            ["Commerce:Streams:RelayLinger"] = (relayLinger ?? TimeSpan.FromMilliseconds(50)).ToString(),
        });
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddDomainDbContext<LedgerDbContext>(options, "ledger");
        var streams = builder.Services.AddCommerceStreams(builder.Configuration, options)
            .Produce<LedgerEvent>(StreamNames.OrderEvents)
            .Outbox<LedgerDbContext>();
        foreach (var group in groups)
            streams.TopicEndpoint<LedgerDbContext>(StreamNames.OrderEvents, group, e =>
            {
                e.CommitTogether = commitTogether;
                e.Consumer<LedgerConsumer>();
            });
        services?.Invoke(builder.Services);
        var host = builder.Build();
        await TestDatabases.CreateAsync(host.Services);
        await host.StartAsync();
        return new StreamTestHost(host);
    }

    // Produces inside a transaction of the ledger database, committed or rolled back.
    public async Task ProduceAsync(IEnumerable<LedgerEvent> events, bool commit = true)
    {
        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LedgerDbContext>();
        scope.ServiceProvider.GetRequiredService<IStreamTransaction>().Enlist(db);
        var producer = scope.ServiceProvider.GetRequiredService<ITopicProducer<LedgerEvent>>();
        await using var transaction = await db.Database.BeginTransactionAsync();
        foreach (var e in events)
            await producer.Produce(e, e.Account);
        await db.SaveChangesAsync();
        if (commit)
            await transaction.CommitAsync();
        else
            await transaction.RollbackAsync();
    }

    public async Task<List<LedgerEntry>> EntriesAsync(string group)
    {
        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LedgerDbContext>();
        return await db.Entries.AsNoTracking().Where(e => e.ConsumerGroup == group).OrderBy(e => e.Id).ToListAsync();
    }

    public async Task<int> DeliveriesAsync(string group)
    {
        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LedgerDbContext>();
        return await db.Deliveries.CountAsync(e => e.ConsumerGroup == group);
    }

    public async Task<List<int>> BatchSizesAsync(string group)
    {
        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LedgerDbContext>();
        return await db.Deliveries.Where(e => e.ConsumerGroup == group).OrderBy(e => e.Id).Select(e => e.BatchSize).ToListAsync();
    }

    public async Task<List<LedgerEntry>> WaitForEntriesAsync(string group, int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var entries = await EntriesAsync(group);
            if (entries.Count >= count || DateTime.UtcNow > deadline)
                return entries;
            await Task.Delay(50);
        }
    }

    public async Task StopAsync() => await _host.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
