using System.Diagnostics;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Platform.Streams;

// Hands a partition's batch to one consumer group's consumers: consecutive events of one type form a run (or, for a
// group that sets RunPerMessageType, all of a type's events); a batch consumer gets the run at once, a per-event
// consumer each event in order. Event types the group has no consumer for
// are passed over (and checkpointed past).
public sealed class StreamDispatcher
{
    delegate Task Handler(IServiceProvider services, IReadOnlyList<StreamEnvelope> events, string group, CancellationToken cancellationToken);

    readonly Dictionary<string, (Type MessageType, List<Handler> Handlers)> _handlers = new(StringComparer.Ordinal);
    readonly string _group;
    readonly bool _runPerMessageType;

    public StreamDispatcher(TopicEndpointConfigurator endpoint, StreamTopology topology)
    {
        _group = endpoint.ConsumerGroup;
        _runPerMessageType = endpoint.RunPerMessageType;
        foreach (var consumer in endpoint.Consumers)
        {
            foreach (var contract in consumer.GetInterfaces().Where(i => i.IsGenericType))
            {
                var definition = contract.GetGenericTypeDefinition();
                var batch = definition == typeof(IStreamBatchConsumer<>);
                if (!batch && definition != typeof(IStreamConsumer<>))
                    continue;
                var messageType = contract.GetGenericArguments()[0];
                topology.Know(messageType);
                var name = StreamSerializer.TypeName(messageType);
                if (!_handlers.TryGetValue(name, out var entry))
                    _handlers[name] = entry = (messageType, []);
                var method = typeof(StreamDispatcher).GetMethod(batch ? nameof(Batch) : nameof(Single), BindingFlags.NonPublic | BindingFlags.Static)!
                    .MakeGenericMethod(consumer, messageType);
                entry.Handlers.Add(method.CreateDelegate<Handler>());
            }
        }

        if (_handlers.Count == 0)
            throw new InvalidOperationException($"The consumer group {endpoint.ConsumerGroup} on {endpoint.Stream} has no IStreamConsumer<T> or IStreamBatchConsumer<T>");
    }

    public IEnumerable<Type> MessageTypes => _handlers.Values.Select(h => h.MessageType);

    // Whether any event of the batch has a consumer in this group (a group often reads a stream for one type among many).
    public bool Handles(IReadOnlyList<StreamEnvelope> batch)
    {
        foreach (var envelope in batch)
        {
            if (_handlers.ContainsKey(envelope.MessageType))
                return true;
        }

        return false;
    }

    public async Task DispatchAsync(IServiceProvider services, IReadOnlyList<StreamEnvelope> batch, CancellationToken cancellationToken)
    {
        if (_runPerMessageType)
            batch = ByMessageType(batch);
        var start = 0;
        while (start < batch.Count)
        {
            var end = start + 1;
            while (end < batch.Count && batch[end].MessageType == batch[start].MessageType)
                end++;
            if (_handlers.TryGetValue(batch[start].MessageType, out var entry))
            {
                var run = new StreamEnvelope[end - start];
                for (var i = start; i < end; i++)
                    run[i - start] = batch[i];

                using var activity = StartProcess(run);
                foreach (var handler in entry.Handlers)
                    await handler(services, run, _group, cancellationToken);
            }

            start = end;
        }
    }

    // The batch with each type's events together, types in the order of their first event, events in offset order
    // (GroupBy keeps both orders).
    static IReadOnlyList<StreamEnvelope> ByMessageType(IReadOnlyList<StreamEnvelope> batch) =>
        batch.GroupBy(e => e.MessageType, StringComparer.Ordinal).SelectMany(type => type).ToList();

    // One span per run, a child of the first event's producer and linked to every other one's.
    Activity? StartProcess(IReadOnlyList<StreamEnvelope> run)
    {
        // Nobody listening (no tracing configured): no span, and no parsing of every event's trace parent for its links.
        if (!StreamTelemetry.Source.HasListeners())
            return null;
        var links = run.Skip(1).Select(e => StreamTelemetry.ParentOf(e.TraceParent)).Where(c => c != default).Distinct()
            .Select(c => new ActivityLink(c)).Take(32).ToList();
        var activity = StreamTelemetry.Source.StartActivity($"{run[0].Stream} process", ActivityKind.Consumer,
            StreamTelemetry.ParentOf(run[0].TraceParent), links: links);
        activity?.SetTag("messaging.system", "stream");
        activity?.SetTag("messaging.destination.name", run[0].Stream);
        activity?.SetTag("messaging.consumer.group.name", _group);
        activity?.SetTag("messaging.destination.partition.id", run[0].Partition);
        activity?.SetTag("messaging.batch.message_count", run.Count);
        return activity;
    }

    static async Task Single<TConsumer, T>(IServiceProvider services, IReadOnlyList<StreamEnvelope> events, string group,
        CancellationToken cancellationToken)
        where TConsumer : class, IStreamConsumer<T>
        where T : class
    {
        var consumer = services.GetRequiredService<TConsumer>();
        for (var i = 0; i < events.Count; i++)
            await consumer.Consume(new StreamContext<T>(events[i], group, cancellationToken));
    }

    static Task Batch<TConsumer, T>(IServiceProvider services, IReadOnlyList<StreamEnvelope> events, string group,
        CancellationToken cancellationToken)
        where TConsumer : class, IStreamBatchConsumer<T>
        where T : class
    {
        var consumer = services.GetRequiredService<TConsumer>();
        var contexts = new StreamContext<T>[events.Count];
        for (var i = 0; i < events.Count; i++)
            contexts[i] = new StreamContext<T>(events[i], group, cancellationToken);
        return consumer.Consume(new StreamBatch<T>(contexts, group, cancellationToken));
    }
}
