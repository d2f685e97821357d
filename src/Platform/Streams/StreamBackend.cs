namespace GlobalCommerce.Platform.Streams;

// One event as a producer hands it to a backend. EventId stays the same when the outbox relay produces it again after a
// crash, so consumers can recognise the copy.
public sealed record StreamRecord(
    Guid EventId,
    string Stream,
    string PartitionKey,
    string MessageType,
    byte[] Body,
    DateTimeOffset Timestamp,
    string? TraceParent);

// One event as a reader gets it back: where it sits (partition, offset) and what it is.
public sealed record StreamEnvelope(
    string Stream,
    int Partition,
    long Offset,
    Guid EventId,
    string PartitionKey,
    string MessageType,
    DateTimeOffset Timestamp,
    byte[] Body,
    string? TraceParent);

// The seam between the stream layer and a broker. Chosen once per host by StreamOptions.Backend.
public interface IStreamBackend
{
    string Name { get; }

    // Creates whatever is missing (stream queues and their exchange, the local tables); idempotent.
    Task EnsureStreamsAsync(IReadOnlyList<StreamDefinition> streams, CancellationToken cancellationToken);

    // Returns once every record is durable on its stream (publisher confirms, a committed local write). Records with the
    // same stream and partition key land in one partition, in the order given.
    Task ProduceAsync(IReadOnlyList<StreamRecord> records, CancellationToken cancellationToken);

    // Reads one partition in order from `from`: an offset (the next one to read, as a checkpoint stores it) or, when
    // null, the oldest event still retained.
    Task<IPartitionReader> OpenAsync(string stream, int partition, long? from, CancellationToken cancellationToken);
}

public interface IPartitionReader : IAsyncDisposable
{
    // Up to `max` events in offset order; waits at most `wait` for the first and returns an empty list if none came.
    ValueTask<IReadOnlyList<StreamEnvelope>> ReadAsync(int max, TimeSpan wait, CancellationToken cancellationToken);
}
