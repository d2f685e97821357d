using Azure.Messaging.EventHubs;
using Azure.Messaging.EventHubs.Consumer;
using Azure.Messaging.EventHubs.Primitives;
using Azure.Messaging.EventHubs.Producer;

namespace GlobalCommerce.Platform.Streams.EventHubs;

// Streams on Azure Event Hubs: each stream is the event hub of the same name in the namespace of
// Commerce:Streams:EventHubsConnection. The service places an event by its partition key (its own hash) and keeps each
// partition in order; a partition's sequence numbers are the offsets the engine checkpoints. Hubs are made in Azure
// (portal, Bicep, CLI) with Commerce:Streams:Partitions partitions and the retention wanted: AMQP can neither create
// them nor set retention, so EnsureStreamsAsync only checks them.
//
// The engine's consumer groups (leases and checkpoints in their own databases) read through one Event Hubs consumer
// group, $Default unless given, as non-exclusive readers. Event Hubs allows 5 such readers per partition and consumer
// group, which bounds how many of the engine's groups can read a hub at once (hand-overs briefly count twice).
public sealed class EventHubsStreamBackend : IStreamBackend, IAsyncDisposable
{
    // Partition keys sent at once: one key's batches go one after another (its order), different keys in parallel.
    const int ConcurrentKeys = 8;

    readonly IEventHubsClients _clients;
    readonly string _consumerGroup;

    public EventHubsStreamBackend(string connectionString, string consumerGroup = EventHubConsumerClient.DefaultConsumerGroupName)
        : this(new EventHubsNamespaceClients(connectionString), consumerGroup)
    {
    }

    internal EventHubsStreamBackend(IEventHubsClients clients, string consumerGroup = EventHubConsumerClient.DefaultConsumerGroupName)
    {
        _clients = clients;
        _consumerGroup = consumerGroup;
    }

    public string Name => "eventhubs";

    // For StreamRegistration: the connection string is the one setting this backend cannot do without.
    public static EventHubsStreamBackend Create(StreamOptions options)
    {
        const string Expected = "the connection string of the Event Hubs namespace (Endpoint=sb://NAMESPACE.servicebus.windows.net/;SharedAccessKeyName=...;SharedAccessKey=...)";
        if (options.EventHubsConnection is not { Length: > 0 } connection)
        {
            throw new InvalidOperationException(
                $"{StreamOptions.Section}:Backend is EventHubs but {StreamOptions.Section}:EventHubsConnection is not set: set it to {Expected}");
        }

        try
        {
            return new EventHubsStreamBackend(connection);
        }
        catch (FormatException exception)
        {
            throw new InvalidOperationException($"{StreamOptions.Section}:EventHubsConnection is not {Expected}: {exception.Message}", exception);
        }
    }

    public async Task EnsureStreamsAsync(IReadOnlyList<StreamDefinition> streams, CancellationToken cancellationToken)
    {
        foreach (var stream in streams)
        {
            EventHubProperties properties;
            try
            {
                properties = await _clients.Producer(stream.Name).GetEventHubPropertiesAsync(cancellationToken);
            }
            catch (EventHubsException exception) when (exception.Reason == EventHubsException.FailureReason.ResourceNotFound)
            {
                throw new InvalidOperationException(
                    $"The event hub '{stream.Name}' does not exist in the namespace {_clients.Namespace}: create it with {stream.Partitions} partitions " +
                    "(event hubs cannot be created over AMQP)", exception);
            }

            // Fewer partitions than configured leaves consumer groups leasing partitions that do not exist; more leaves
            // events the service hashed onto the extra partitions unread, since groups read partitions 0 to Partitions-1.
            if (properties.PartitionIds.Length != stream.Partitions)
            {
                throw new InvalidOperationException(
                    $"The event hub '{stream.Name}' in {_clients.Namespace} has {properties.PartitionIds.Length} partitions but " +
                    $"{StreamOptions.Section}:Partitions is {stream.Partitions}: they must be equal");
            }
        }
    }

    public async Task ProduceAsync(IReadOnlyList<StreamRecord> records, CancellationToken cancellationToken)
    {
        if (records.Count == 0)
            return;

        // Every batch is built before any is sent, so an event too large for a batch fails the call with nothing sent.
        var sends = new List<(string Stream, List<EventDataBatch> Batches)>();
        try
        {
            foreach (var key in records.GroupBy(r => (r.Stream, r.PartitionKey)))
                sends.Add((key.Key.Stream, await BatchAsync(key.Key.Stream, key.Key.PartitionKey, key.ToList(), cancellationToken)));

            await Parallel.ForEachAsync(sends, new ParallelOptions { MaxDegreeOfParallelism = ConcurrentKeys, CancellationToken = cancellationToken },
                async (send, token) =>
                {
                    var producer = _clients.Producer(send.Stream);
                    foreach (var batch in send.Batches)
                        await producer.SendAsync(batch, token);
                });
        }
        finally
        {
            foreach (var batch in sends.SelectMany(s => s.Batches))
                batch.Dispose();
        }
    }

    // One key's records in order, in as many batches as they need; each batch carries the key, so the service puts
    // every one of them in the key's partition.
    async Task<List<EventDataBatch>> BatchAsync(string stream, string partitionKey, IReadOnlyList<StreamRecord> records,
        CancellationToken cancellationToken)
    {
        var producer = _clients.Producer(stream);
        var batches = new List<EventDataBatch>();
        try
        {
            var batch = await producer.CreateBatchAsync(new CreateBatchOptions { PartitionKey = partitionKey }, cancellationToken);
            batches.Add(batch);
            foreach (var record in records)
            {
                var data = EventHubsEnvelope.ToEventData(record);
                if (batch.TryAdd(data))
                    continue;
                if (batch.Count > 0)
                {
                    batch = await producer.CreateBatchAsync(new CreateBatchOptions { PartitionKey = partitionKey }, cancellationToken);
                    batches.Add(batch);
                    if (batch.TryAdd(data))
                        continue;
                }

                throw new InvalidOperationException(
                    $"The event {record.EventId} ({record.MessageType}, {record.Body.Length} bytes) is too large for an Event Hubs batch on '{stream}' " +
                    $"(at most {batch.MaximumSizeInBytes} bytes with its properties); nothing of this call was sent");
            }

            return batches;
        }
        catch
        {
            foreach (var batch in batches)
                batch.Dispose();
            throw;
        }
    }

    public Task<IPartitionReader> OpenAsync(string stream, int partition, long? from, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        var position = from is { } next ? EventPosition.FromSequenceNumber(next, isInclusive: true) : EventPosition.Earliest;
        var receiver = _clients.Receiver(stream, EventHubsEnvelope.PartitionId(partition), position, _consumerGroup);
        return Task.FromResult<IPartitionReader>(new Reader(receiver, stream, partition));
    }

    public ValueTask DisposeAsync() => _clients.DisposeAsync();

    sealed class Reader(PartitionReceiver receiver, string stream, int partition) : IPartitionReader
    {
        public async ValueTask<IReadOnlyList<StreamEnvelope>> ReadAsync(int max, TimeSpan wait, CancellationToken cancellationToken)
        {
            var events = await receiver.ReceiveBatchAsync(max, wait, cancellationToken);
            return events.Select(e => EventHubsEnvelope.ToEnvelope(e, stream, partition)).ToList();
        }

        public ValueTask DisposeAsync() => receiver.DisposeAsync();
    }
}
