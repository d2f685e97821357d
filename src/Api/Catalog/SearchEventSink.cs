using System.Threading.Channels;
using GlobalCommerce.Contracts.Streams;
using GlobalCommerce.Platform.Streams;

namespace GlobalCommerce.Api.Catalog;

// Search events leave the request path: a search hands its event to a bounded queue and answers; a background loop
// produces them to analytics-events in batches. They are facts for analytics, not commands: a full queue (the stream is
// down for long) drops the newest and counts them, and a crash loses those still queued (at most Capacity).
public sealed partial class SearchEventSink(IServiceScopeFactory scopes, ILogger<SearchEventSink> logger) : BackgroundService
{
    const int Capacity = 10_000;
    const int MaxBatch = 500;

    readonly Channel<SearchPerformed> _queue = Channel.CreateBounded<SearchPerformed>(new BoundedChannelOptions(Capacity)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    long _dropped;

    public long Dropped => Interlocked.Read(ref _dropped);

    public void Add(SearchPerformed search)
    {
        if (!_queue.Writer.TryWrite(search))
            Interlocked.Increment(ref _dropped);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<SearchPerformed>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync(stoppingToken))
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var search))
                batch.Add(search);
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var producer = scope.ServiceProvider.GetRequiredService<ITopicProducer<SearchPerformed>>();
                await producer.ProduceAll(batch, search => search.UserId?.ToString("N") ?? "anonymous", stoppingToken);
                batch.Clear();
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // Kept for the next round; the queue behind it fills and drops meanwhile.
                LogProduceFailed(logger, batch.Count, exception.GetType().Name);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not produce {Count} search events ({Error}); retrying")]
    static partial void LogProduceFailed(ILogger logger, int count, string error);
}
