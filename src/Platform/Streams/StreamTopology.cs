using System.Collections.Concurrent;

namespace GlobalCommerce.Platform.Streams;

// Everything the registrations declared: which stream each event type goes to, the databases whose outbox a relay
// empties, and the consumer groups this host runs. One per container, filled by StreamsBuilder.
public sealed class StreamTopology
{
    readonly ConcurrentDictionary<Type, string> _streams = new();
    readonly ConcurrentDictionary<string, Type> _types = new(StringComparer.Ordinal);

    public HashSet<Type> OutboxContexts { get; } = [];

    public List<TopicEndpointConfigurator> Endpoints { get; } = [];

    public void Map(Type messageType, string stream)
    {
        if (_streams.TryGetValue(messageType, out var existing) && existing != stream)
            throw new InvalidOperationException($"{messageType.Name} is produced on {existing}; it cannot also go to {stream}");
        _streams[messageType] = stream;
        Know(messageType);
    }

    public void Know(Type messageType) => _types[StreamSerializer.TypeName(messageType)] = messageType;

    public string StreamOf(Type messageType) =>
        _streams.TryGetValue(messageType, out var stream)
            ? stream
            : throw new InvalidOperationException($"No stream is registered for {messageType.Name}: add StreamsBuilder.Produce<{messageType.Name}>(stream)");

    public Type? TypeOf(string messageType) => _types.GetValueOrDefault(messageType);

    public IEnumerable<string> Streams => _streams.Values.Concat(Endpoints.Select(e => e.Stream)).Concat(StreamNames.All).Distinct(StringComparer.Ordinal);
}
