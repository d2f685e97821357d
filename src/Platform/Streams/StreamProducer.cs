using System.Diagnostics;

namespace GlobalCommerce.Platform.Streams;

// The host's one way onto the backend: makes sure the streams exist first, and traces every hand-over.
public sealed class StreamProducer(IStreamBackend backend, StreamTopology topology, StreamOptions options, CommerceOptions commerce)
{
    readonly Lock _lock = new();
    Task? _ready;

    public IStreamBackend Backend => backend;

    public IReadOnlyList<StreamDefinition> Definitions =>
        topology.Streams.Select(s => new StreamDefinition(s, options.Partitions, options.RetentionOf(s, commerce.IsEmbedded))).ToList();

    // Declared once per process; a failed attempt (broker not up yet) is forgotten by Reset and tried again.
    public Task EnsureStreamsAsync()
    {
        lock (_lock)
            return _ready ??= backend.EnsureStreamsAsync(Definitions, CancellationToken.None);
    }

    public void Reset()
    {
        lock (_lock)
        {
            if (_ready is { IsCompleted: true, IsCompletedSuccessfully: false })
                _ready = null;
        }
    }

    public async Task ProduceAsync(IReadOnlyList<StreamRecord> records, CancellationToken cancellationToken)
    {
        if (records.Count == 0)
            return;
        await EnsureStreamsAsync().WaitAsync(cancellationToken);
        using var activity = StreamTelemetry.Source.StartActivity($"{records[0].Stream} publish", ActivityKind.Producer);
        activity?.SetTag("messaging.system", backend.Name);
        activity?.SetTag("messaging.destination.name", records[0].Stream);
        activity?.SetTag("messaging.batch.message_count", records.Count);
        await backend.ProduceAsync(records, cancellationToken);
        StreamTelemetry.Produced.Add(records.Count);
    }
}
