using System.Collections;

namespace GlobalCommerce.Platform.Streams;

// The shape of MassTransit's riders, for events read from a stream: a consumer group's topic endpoint resolves these in
// a scope per batch. IStreamConsumer<T> is called once per event, in partition order; IStreamBatchConsumer<T> once per
// run of consecutive events of type T within a batch (one transaction for many events). Delivery is at least once: a
// batch handled before the last checkpoint is read again after a crash, and the outbox relay may produce an event again
// (same EventId) after a crash of its own. Consumers make a second copy change nothing (StreamInbox, versions).
public interface IStreamConsumer<T>
    where T : class
{
    Task Consume(StreamContext<T> context);
}

public interface IStreamBatchConsumer<T>
    where T : class
{
    Task Consume(StreamBatch<T> batch);
}

// The event is read from its body the first time Message is asked for: a consumer that needs only the envelope (a
// counter of events by type and hour) never pays for it.
public sealed class StreamContext<T>
    where T : class
{
    readonly StreamEnvelope _envelope;
    T? _message;

    public StreamContext(StreamEnvelope envelope, T message, string consumerGroup, CancellationToken cancellationToken)
        : this(envelope, consumerGroup, cancellationToken) => _message = message;

    internal StreamContext(StreamEnvelope envelope, string consumerGroup, CancellationToken cancellationToken)
    {
        _envelope = envelope;
        ConsumerGroup = consumerGroup;
        CancellationToken = cancellationToken;
    }

    public T Message => _message ??= (T)StreamSerializer.Deserialize(_envelope.Body, typeof(T));

    public Guid EventId => _envelope.EventId;

    public string Stream => _envelope.Stream;

    public int Partition => _envelope.Partition;

    public long Offset => _envelope.Offset;

    public string PartitionKey => _envelope.PartitionKey;

    public DateTimeOffset Timestamp => _envelope.Timestamp;

    public string ConsumerGroup { get; }

    public CancellationToken CancellationToken { get; }
}

public sealed class StreamBatch<T>(IReadOnlyList<StreamContext<T>> events, string consumerGroup, CancellationToken cancellationToken)
    : IReadOnlyList<StreamContext<T>>
    where T : class
{
    public string ConsumerGroup { get; } = consumerGroup;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    public int Count => events.Count;

    public StreamContext<T> this[int index] => events[index];

    public IEnumerator<StreamContext<T>> GetEnumerator() => events.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
