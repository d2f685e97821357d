using System.Diagnostics;
using System.Text;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Platform.Streams;

// Produces T onto the stream it was registered for (StreamsBuilder.Produce<T>). Inside a domain transaction (a consumer
// behind the transactional outbox, or a scope that called IStreamTransaction.Enlist) the event is written to that
// database's stream_outbox and reaches the stream if and only if the transaction commits; the relay of that database
// produces it after the commit. Outside one it is produced at once and the call returns when the backend confirmed it.
public interface ITopicProducer<T>
    where T : class
{
    Task Produce(T message, string partitionKey, CancellationToken cancellationToken = default);

    // Several events in one hand-over to the backend (one transaction and one fsync on the embedded default, one batch of
    // publisher confirms on RabbitMQ), for a producer that gathers events, instead of one hand-over each.
    Task ProduceAll(IReadOnlyList<T> messages, Func<T, string> partitionKey, CancellationToken cancellationToken = default);
}

// Scoped: the database whose transaction this scope's produced events join. The transactional outbox enlists its
// DbContext for every consumed message; an HTTP handler enlists the context it saves with.
public interface IStreamTransaction
{
    DbContext? Enlisted { get; }

    void Enlist(DbContext context);
}

public sealed class StreamTransaction : IStreamTransaction
{
    public DbContext? Enlisted { get; private set; }

    public void Enlist(DbContext context)
    {
        if (context.Model.FindEntityType(typeof(StreamOutboxEntry)) is null)
            throw new InvalidOperationException($"{context.GetType().Name} has no stream outbox: call modelBuilder.AddStreamTables() in its OnModelCreating");
        Enlisted = context;
    }
}

public sealed class TopicProducer<T>(StreamTopology topology, IStreamTransaction transaction, StreamProducer producer, TimeProvider clock)
    : ITopicProducer<T>
    where T : class
{
    public async Task Produce(T message, string partitionKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentException.ThrowIfNullOrEmpty(partitionKey);
        var stream = topology.StreamOf(typeof(T));
        // Time-ordered: every consumer group's inbox key (group, event id) grows at its end; with scattered ids a batch of
        // 500 inbox rows dirtied hundreds of pages (StreamEventIdTests).
        var eventId = Persistence.TimeOrderedId.New();
        var now = clock.GetUtcNow();
        var trace = Activity.Current?.Id;
        if (transaction.Enlisted is { } db)
        {
            var row = new StreamOutboxEntry
            {
                EventId = eventId,
                Stream = stream,
                PartitionKey = partitionKey,
                MessageType = StreamSerializer.TypeName(typeof(T)),
                Body = StreamSerializer.Serialize(message),
                TraceParent = trace,
                CreatedAt = now.ToUnixTimeMilliseconds(),
            };
            // In an open transaction the row is written with the others at the next save or the commit; otherwise it is
            // saved with the context's changes (and its own transaction).
            if (db.Database.CurrentTransaction is not null)
                StreamOutboxRows.Add(db, row);
            else
                db.Set<StreamOutboxEntry>().Add(row);
            StreamOutboxSignal.Noted(db);
            return;
        }

        await producer.ProduceAsync([Record(stream, eventId, partitionKey, message, now, trace)], cancellationToken);
    }

    public async Task ProduceAll(IReadOnlyList<T> messages, Func<T, string> partitionKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (transaction.Enlisted is not null)
        {
            foreach (var message in messages)
                await Produce(message, partitionKey(message), cancellationToken);
            return;
        }

        var stream = topology.StreamOf(typeof(T));
        var now = clock.GetUtcNow();
        var trace = Activity.Current?.Id;
        var records = new List<StreamRecord>(messages.Count);
        foreach (var message in messages)
        {
            var key = partitionKey(message);
            ArgumentException.ThrowIfNullOrEmpty(key);
            records.Add(Record(stream, Persistence.TimeOrderedId.New(), key, message, now, trace));
        }

        await producer.ProduceAsync(records, cancellationToken);
    }

    static StreamRecord Record(string stream, Guid eventId, string partitionKey, T message, DateTimeOffset now, string? trace) =>
        new(eventId, stream, partitionKey, StreamSerializer.TypeName(typeof(T)), Encoding.UTF8.GetBytes(StreamSerializer.Serialize(message)), now,
            trace);
}
