using System.Collections.Concurrent;
using GlobalCommerce.Consumers.Tests.Support;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Streams;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Facts = GlobalCommerce.Contracts.Streams;

namespace GlobalCommerce.Consumers.Tests.Streams;

public sealed record RecordedFact(string Stream, string Key, Guid EventId, object Message);

public sealed class RecordedFacts
{
    readonly ConcurrentQueue<RecordedFact> _facts = new();

    public void Add(RecordedFact fact) => _facts.Enqueue(fact);

    public IReadOnlyList<RecordedFact> About(Guid orderId) =>
        [.. _facts.Where(f => f.Message.GetType().GetProperty("OrderId")?.GetValue(f.Message) is Guid id && id == orderId)];
}

// The "probe" consumer group: every payment and inventory fact it reads, as it read it.
public sealed class FactRecorder(RecordedFacts facts) :
    IStreamConsumer<Facts.PaymentProcessed>, IStreamConsumer<Facts.PaymentDeclined>, IStreamConsumer<Facts.PaymentRefunded>,
    IStreamConsumer<Facts.InventoryReserved>, IStreamConsumer<Facts.InventoryCommitted>, IStreamConsumer<Facts.InventoryReleased>
{
    public Task Consume(StreamContext<Facts.PaymentProcessed> context) => Record(context);

    public Task Consume(StreamContext<Facts.PaymentDeclined> context) => Record(context);

    public Task Consume(StreamContext<Facts.PaymentRefunded> context) => Record(context);

    public Task Consume(StreamContext<Facts.InventoryReserved> context) => Record(context);

    public Task Consume(StreamContext<Facts.InventoryCommitted> context) => Record(context);

    public Task Consume(StreamContext<Facts.InventoryReleased> context) => Record(context);

    Task Record<T>(StreamContext<T> context)
        where T : class
    {
        facts.Add(new RecordedFact(context.Stream, context.PartitionKey, context.EventId, context.Message));
        return Task.CompletedTask;
    }
}

// Fails the first `failures` saves that wrote stream outbox rows, after they were written inside the handler's
// transaction, and keeps those rows' event ids: the message's transaction rolls back and the message is retried.
public sealed class FailAfterProduce(int failures) : SaveChangesInterceptor
{
    int _remaining = failures;

    int _failed;

    public ConcurrentQueue<Guid> RolledBack { get; } = new();

    public int Failed => Volatile.Read(ref _failed);

    // Stops failing from now on.
    public void Stop() => Volatile.Write(ref _remaining, 0);

    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        var produced = StreamOutboxRows.WrittenInTransaction(eventData.Context!);
        if (produced.Count > 0 && Interlocked.Decrement(ref _remaining) >= 0)
        {
            foreach (var id in produced)
                RolledBack.Enqueue(id);
            Interlocked.Increment(ref _failed);
            throw new InvalidOperationException("Injected failure after the handler produced its facts");
        }

        return ValueTask.FromResult(result);
    }
}

// A domain's consumers with the stream engine of the hosts around them (the harness starts the stream host with the
// bus): the domain database's outbox relay, a "probe" consumer group on `stream` with its checkpoints in the same
// database, and optionally a save that fails after producing.
public static class FactProbe
{
    public const string Group = "probe";

    public static Dictionary<string, string?> Settings() => new()
    {
        ["Commerce:Streams:ReadWait"] = "00:00:00.200",
        ["Commerce:Streams:LeaseDuration"] = "00:00:03",
        ["Commerce:Streams:RelayPollInterval"] = "00:00:00.100",
    };

    public static Task<ConsumerTestHost> StartAsync<TDbContext>(DatabaseProvider provider, string stream,
        Action<IBusRegistrationConfigurator, IConfiguration, CommerceOptions> register, FailAfterProduce? failure = null,
        IReadOnlyDictionary<string, string?>? settings = null)
        where TDbContext : DbContext
    {
        var all = Settings();
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            all[key] = value;
        return ConsumerTestHost.StartAsync(provider, (bus, configuration, options) =>
        {
            register(bus, configuration, options);
            bus.AddSingleton<RecordedFacts>();
            bus.AddCommerceStreams(configuration, options).TopicEndpoint<TDbContext>(stream, Group, e => e.Consumer<FactRecorder>());
            if (failure is not null)
                bus.ConfigureDbContext<TDbContext>(db => db.AddInterceptors(failure));
        }, all);
    }

    public static IReadOnlyList<RecordedFact> Facts(this ConsumerTestHost host, Guid orderId) =>
        host.Services.GetRequiredService<RecordedFacts>().About(orderId);

    // Until `count` facts about the order were read, then a second longer: a copy, or a fact of a rolled back attempt,
    // would arrive around the same time (the relay polls every 100 ms, the group waits 200 ms for a batch).
    public static async Task<IReadOnlyList<RecordedFact>> WaitForFactsAsync(this ConsumerTestHost host, Guid orderId, int count)
    {
        var deadline = DateTime.UtcNow + ConsumerTestHost.Patience;
        while (host.Facts(orderId).Count < count && DateTime.UtcNow < deadline)
            await Task.Delay(25);
        await Task.Delay(TimeSpan.FromSeconds(1));
        return host.Facts(orderId);
    }

    // What is still waiting in the domain database's stream outbox once the relay has had time to empty it.
    public static async Task<int> UndeliveredAsync<TDbContext>(this ConsumerTestHost host)
        where TDbContext : DbContext
    {
        var deadline = DateTime.UtcNow + ConsumerTestHost.Patience;
        while (true)
        {
            var waiting = await host.QueryAsync<TDbContext, int>(db => db.Set<StreamOutboxEntry>().CountAsync());
            if (waiting == 0 || DateTime.UtcNow > deadline)
                return waiting;
            await Task.Delay(50);
        }
    }
}
