using Azure.Messaging.EventHubs;
using Azure.Messaging.EventHubs.Consumer;
using Azure.Messaging.EventHubs.Primitives;
using Azure.Messaging.EventHubs.Producer;
using GlobalCommerce.Platform.Streams;
using GlobalCommerce.Platform.Streams.EventHubs;

namespace GlobalCommerce.Consumers.Tests.Streams;

// Stand-ins for the Event Hubs service at the SDK's own seams: its clients have protected constructors and virtual
// members, and EventHubsModelFactory builds batches and received events. Nothing here opens a connection.
internal sealed class FakeEventHubsClients : IEventHubsClients
{
    readonly Dictionary<string, RecordingProducer> _producers = new(StringComparer.Ordinal);

    public string Namespace => "fake.servicebus.windows.net";

    // How many events a batch accepts and the largest body it takes: the real limit is bytes (1 MB on most tiers).
    public int EventsPerBatch { get; init; } = 100;

    public int LargestBody { get; init; } = 64 * 1024;

    // Partition ids of each hub GetEventHubPropertiesAsync reports; a hub not listed does not exist.
    public Dictionary<string, int> Hubs { get; } = new(StringComparer.Ordinal);

    // What a receiver hands out for (hub, partition id); the reader's starting position is recorded.
    public Func<string, string, IReadOnlyList<EventData>> Partition { get; init; } = (_, _) => [];

    // When set, sent events also land in an in-memory hub of this many partitions (placed by a hash of the key, numbered
    // 0, 1, 2, … per partition as the service numbers them), and receivers read those partitions as they grow.
    public int? InMemoryPartitions { get; init; }

    readonly Dictionary<(string Hub, string Partition), List<EventData>> _logs = [];

    public List<EventData> LogOf(string hub, string partitionId)
    {
        lock (_logs)
        {
            if (!_logs.TryGetValue((hub, partitionId), out var log))
                _logs[(hub, partitionId)] = log = [];
            return log;
        }
    }

    internal void Append(string hub, string? partitionKey, IReadOnlyList<EventData> events)
    {
        if (InMemoryPartitions is not { } partitions)
            return;
        var partition = EmbeddedStreamBackend.PartitionOf(partitionKey ?? "", partitions).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var log = LogOf(hub, partition);
        lock (log)
        {
            foreach (var e in events)
                log.Add(ReceivedEvents.AsReceived(e, log.Count, partitionKey));
        }
    }

    public List<ScriptedReceiver> Receivers { get; } = [];

    public bool Disposed { get; private set; }

    public IReadOnlyList<SentBatch> Sent
    {
        get
        {
            lock (_producers)
                return _producers.Values.SelectMany(p => p.Sent).ToList();
        }
    }

    public EventHubProducerClient Producer(string hub)
    {
        lock (_producers)
        {
            if (!_producers.TryGetValue(hub, out var producer))
                _producers[hub] = producer = new RecordingProducer(this, hub);
            return producer;
        }
    }

    public PartitionReceiver Receiver(string hub, string partitionId, EventPosition position, string consumerGroup)
    {
        var events = InMemoryPartitions is null ? Partition(hub, partitionId) : LogOf(hub, partitionId);
        var receiver = new ScriptedReceiver(hub, partitionId, position, consumerGroup, events);
        lock (Receivers)
            Receivers.Add(receiver);
        return receiver;
    }

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        return default;
    }
}

internal sealed record SentBatch(string Hub, string? PartitionKey, IReadOnlyList<EventData> Events);

internal sealed class RecordingProducer(FakeEventHubsClients clients, string hub) : EventHubProducerClient
{
    readonly Dictionary<EventDataBatch, (string? Key, List<EventData> Events)> _open = [];

    public List<SentBatch> Sent { get; } = [];

    public override ValueTask<EventDataBatch> CreateBatchAsync(CreateBatchOptions options, CancellationToken cancellationToken = default)
    {
        var events = new List<EventData>();
        var batch = EventHubsModelFactory.EventDataBatch(1024, events, options,
            e => events.Count < clients.EventsPerBatch && e.EventBody.ToMemory().Length <= clients.LargestBody);
        lock (_open)
            _open[batch] = (options.PartitionKey, events);
        return ValueTask.FromResult(batch);
    }

    public override Task SendAsync(EventDataBatch eventBatch, CancellationToken cancellationToken = default)
    {
        lock (_open)
        {
            var (key, events) = _open[eventBatch];
            Sent.Add(new SentBatch(hub, key, events.ToList()));
            clients.Append(hub, key, events);
        }

        return Task.CompletedTask;
    }

    public override Task<EventHubProperties> GetEventHubPropertiesAsync(CancellationToken cancellationToken = default) =>
        clients.Hubs.TryGetValue(hub, out var partitions)
            ? Task.FromResult(EventHubsModelFactory.EventHubProperties(hub, DateTimeOffset.UtcNow,
                Enumerable.Range(0, partitions).Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray()))
            : throw new EventHubsException(false, hub, $"The messaging entity '{hub}' could not be found", EventHubsException.FailureReason.ResourceNotFound);

    public override Task CloseAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public override ValueTask DisposeAsync() => default;
}

internal sealed class ScriptedReceiver(string hub, string partitionId, EventPosition position, string consumerGroup, IReadOnlyList<EventData> events)
    : PartitionReceiver
{
    int _next = Locked(events, () => StartOf(position, events));

    public string Hub { get; } = hub;

    public string Partition { get; } = partitionId;

    public EventPosition Position { get; } = position;

    public string Group { get; } = consumerGroup;

    public List<(int Max, TimeSpan Wait)> Calls { get; } = [];

    public bool Disposed { get; private set; }

    public override async Task<IEnumerable<EventData>> ReceiveBatchAsync(int maximumEventCount, TimeSpan maximumWaitTime,
        CancellationToken cancellationToken = default)
    {
        Calls.Add((maximumEventCount, maximumWaitTime));
        var deadline = DateTime.UtcNow + maximumWaitTime;
        while (true)
        {
            var batch = Locked(events, () => events.Skip(_next).Take(maximumEventCount).ToList());
            _next += batch.Count;
            if (batch.Count > 0 || DateTime.UtcNow >= deadline)
                return batch;
            await Task.Delay(20, cancellationToken);
        }
    }

    // An in-memory hub's partition grows while it is read.
    static T Locked<T>(IReadOnlyList<EventData> events, Func<T> read)
    {
        lock (events)
            return read();
    }

    public override Task CloseAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public override ValueTask DisposeAsync()
    {
        Disposed = true;
        return default;
    }

    // EventPosition keeps its fields to itself; it does compare by value, so find the index of the first event the
    // position includes among the ones this partition holds.
    static int StartOf(EventPosition position, IReadOnlyList<EventData> events)
    {
        if (position.Equals(EventPosition.Earliest))
            return 0;
        for (var i = 0; i < events.Count; i++)
        {
            if (position.Equals(EventPosition.FromSequenceNumber(events[i].SequenceNumber, isInclusive: true)))
                return i;
        }

        var last = events.Count == 0 ? -1 : events[^1].SequenceNumber;
        return position.Equals(EventPosition.FromSequenceNumber(last + 1, isInclusive: true))
            ? events.Count
            : throw new InvalidOperationException($"The fake reader does not know the position {position}");
    }
}

internal static class ReceivedEvents
{
    // What a reader gets back for an event the backend sent: same body and properties, plus what the service adds
    // (sequence number, offset, enqueued time, partition key).
    public static EventData AsReceived(EventData sent, long sequenceNumber, string? partitionKey, DateTimeOffset? enqueued = null)
    {
        var received = EventHubsModelFactory.EventData(sent.EventBody, new Dictionary<string, object>(sent.Properties), new Dictionary<string, object>(),
            partitionKey, sequenceNumber, (sequenceNumber * 100).ToString(System.Globalization.CultureInfo.InvariantCulture),
            enqueued ?? DateTimeOffset.UtcNow);
        received.MessageId = sent.MessageId;
        received.ContentType = sent.ContentType;
        return received;
    }

    public static EventData Of(StreamRecord record, long sequenceNumber) =>
        AsReceived(EventHubsEnvelope.ToEventData(record), sequenceNumber, record.PartitionKey);
}

public sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    DateTimeOffset _now = now;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
