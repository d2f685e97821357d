using System.Text;
using GlobalCommerce.Platform.Streams;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Consumers.Tests.Support;

// Stream events as the engine hands them to a consumer group, for consumers called directly (a batch built here, the
// consumer resolved from the production registration), and the events a database's transactions produced.
public static class StreamEvents
{
    public static StreamContext<T> Event<T>(T message, string key, string group = "test", Guid? eventId = null, long offset = 0)
        where T : class =>
        new(new StreamEnvelope(StreamNames.InventoryEvents, 0, offset, eventId ?? Guid.NewGuid(), key, StreamSerializer.TypeName(typeof(T)),
            DateTimeOffset.UtcNow, StreamSerializer.SerializeToUtf8(message), null), message, group, CancellationToken.None);

    public static StreamBatch<T> Batch<T>(params StreamContext<T>[] events)
        where T : class =>
        new(events, events.Length > 0 ? events[0].ConsumerGroup : "test", CancellationToken.None);

    // The events of type T a database's transactions produced, oldest first: those its stream outbox still holds and
    // those its relay has already put on the stream (the engine runs in the test host), each once.
    public static async Task<List<T>> ProducedAsync<T>(IServiceProvider services, DbContext db)
        where T : class
    {
        var type = StreamSerializer.TypeName(typeof(T));
        var stream = services.GetRequiredService<StreamTopology>().StreamOf(typeof(T));
        var waiting = await db.Set<StreamOutboxEntry>().AsNoTracking().Where(e => e.MessageType == type && e.Stream == stream).OrderBy(e => e.Id)
            .Select(e => new { e.EventId, e.Body }).ToListAsync();
        // The host declares its streams when it starts, in the background: a test may get here first.
        await services.GetRequiredService<StreamProducer>().EnsureStreamsAsync();
        var backend = services.GetRequiredService<IStreamBackend>();
        var events = new Dictionary<Guid, (DateTimeOffset At, long Order, byte[] Body)>();
        for (var partition = 0; partition < services.GetRequiredService<StreamOptions>().Partitions; partition++)
        {
            await using var reader = await backend.OpenAsync(stream, partition, null, CancellationToken.None);
            while (await reader.ReadAsync(500, TimeSpan.Zero, CancellationToken.None) is { Count: > 0 } batch)
            {
                foreach (var e in batch.Where(e => e.MessageType == type))
                    events[e.EventId] = (e.Timestamp, e.Offset, e.Body);
            }
        }

        var order = events.Count;
        foreach (var entry in waiting)
            events.TryAdd(entry.EventId, (DateTimeOffset.MaxValue, order++, Encoding.UTF8.GetBytes(entry.Body)));
        return [.. events.Values.OrderBy(e => e.At).ThenBy(e => e.Order).Select(e => (T)StreamSerializer.Deserialize(e.Body, typeof(T)))];
    }
}
