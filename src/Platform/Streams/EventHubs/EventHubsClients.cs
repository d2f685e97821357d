using System.Collections.Concurrent;
using Azure.Messaging.EventHubs;
using Azure.Messaging.EventHubs.Consumer;
using Azure.Messaging.EventHubs.Primitives;
using Azure.Messaging.EventHubs.Producer;

namespace GlobalCommerce.Platform.Streams.EventHubs;

// The SDK clients the backend works through, per hub. Tests substitute the SDK's own test doubles: its clients have
// protected constructors and virtual members for exactly that, and EventHubsModelFactory builds batches and events.
internal interface IEventHubsClients : IAsyncDisposable
{
    string Namespace { get; }

    EventHubProducerClient Producer(string hub);

    PartitionReceiver Receiver(string hub, string partitionId, EventPosition position, string consumerGroup);
}

// One AMQP connection per hub, shared by the hub's producer and every partition receiver opened on it. Nothing is
// contacted until a client is first used.
internal sealed class EventHubsNamespaceClients : IEventHubsClients
{
    readonly string _connectionString;
    readonly ConcurrentDictionary<string, Lazy<Hub>> _hubs = new(StringComparer.Ordinal);

    public EventHubsNamespaceClients(string connectionString)
    {
        // Parse throws a FormatException naming what is wrong with a malformed string.
        var properties = EventHubsConnectionStringProperties.Parse(connectionString);
        if (!string.IsNullOrEmpty(properties.EventHubName))
            throw new ArgumentException(
                $"The Event Hubs connection string names the event hub '{properties.EventHubName}' (EntityPath): streams need the namespace's " +
                "connection string, since each stream is a hub of its own", nameof(connectionString));
        _connectionString = connectionString;
        Namespace = properties.FullyQualifiedNamespace;
    }

    public string Namespace { get; }

    public EventHubProducerClient Producer(string hub) => HubOf(hub).Producer;

    public PartitionReceiver Receiver(string hub, string partitionId, EventPosition position, string consumerGroup) =>
        new(consumerGroup, partitionId, position, HubOf(hub).Connection, new PartitionReceiverOptions());

    public async ValueTask DisposeAsync()
    {
        foreach (var hub in _hubs.Values.Where(h => h.IsValueCreated).Select(h => h.Value))
        {
            await hub.Producer.DisposeAsync();
            await hub.Connection.DisposeAsync();
        }
    }

    Hub HubOf(string hub) =>
        _hubs.GetOrAdd(hub, name => new Lazy<Hub>(() =>
        {
            var connection = new EventHubConnection(_connectionString, name);
            return new Hub(connection, new EventHubProducerClient(connection, new EventHubProducerClientOptions()));
        })).Value;

    sealed record Hub(EventHubConnection Connection, EventHubProducerClient Producer);
}
