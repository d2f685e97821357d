using Azure.Messaging.EventHubs;
using Azure.Messaging.EventHubs.Primitives;
using Azure.Messaging.EventHubs.Processor;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GlobalCommerce.Platform.Streams.EventHubs;

// One consumer group on one hub, balanced by the SDK instead of the engine: processors sharing a checkpoint store
// divide the partitions among themselves (EventHubsCheckpointStore keeps that in the group's own database), and each
// batch goes to the group's consumers (StreamDispatcher) in a scope of its own, as the engine's reader loop does.
// The Event Hubs consumer group is the group's name and must exist on the hub: the processor reads as an exclusive
// reader, which would push any other reader of that consumer group off the partition.
public partial class EventHubsStreamProcessor : PluggableCheckpointStoreEventProcessor<EventProcessorPartition>
{
    readonly StreamDispatcher _dispatcher;
    readonly IServiceScopeFactory _scopes;
    readonly ILogger _logger;

    public EventHubsStreamProcessor(
        EventHubsCheckpointStore checkpointStore,
        StreamDispatcher dispatcher,
        IServiceScopeFactory scopes,
        string connectionString,
        string eventHubName,
        string consumerGroup,
        int batchSize,
        ILogger logger,
        EventProcessorOptions? options = null)
        : base(checkpointStore, batchSize, consumerGroup, connectionString, eventHubName, OptionsFor(checkpointStore, options))
    {
        _dispatcher = dispatcher;
        _scopes = scopes;
        _logger = logger;
    }

    // As the engine's reader loop does: the same batch, in the same order, until it is handled; the partition is not
    // read further meanwhile (a poison event holds it and says so in the log). Cancellation (shutdown, ownership lost)
    // ends the attempt, and whoever owns the partition next reads the batch again from the checkpoint. Checkpointed
    // after every handled batch.
    protected override async Task OnProcessingEventBatchAsync(IEnumerable<EventData> events, EventProcessorPartition partition,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(partition);
        var number = EventHubsEnvelope.PartitionNumber(partition.PartitionId);
        var received = events.ToList();
        var batch = received.Select(e => EventHubsEnvelope.ToEnvelope(e, EventHubName, number)).ToList();
        if (batch.Count == 0)
            return;

        for (var failures = 0; ; )
        {
            try
            {
                await using var scope = _scopes.CreateAsyncScope();
                await _dispatcher.DispatchAsync(scope.ServiceProvider, batch, cancellationToken);
                break;
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
            {
                failures++;
                LogBatchFailed(_logger, ConsumerGroup, EventHubName, number, batch[0].Offset, failures, exception);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(100 * Math.Pow(2, Math.Min(failures, 9)), 30_000)), cancellationToken);
            }
        }

        StreamTelemetry.Consumed.Add(batch.Count, new KeyValuePair<string, object?>("group", ConsumerGroup),
            new KeyValuePair<string, object?>("stream", EventHubName));
        try
        {
            await UpdateCheckpointAsync(partition.PartitionId, CheckpointPosition.FromEvent(received[^1]), cancellationToken);
            StreamTelemetry.Checkpoints.Add(1);
        }
        catch (PartitionOwnershipLostException exception)
        {
            // The SDK stops this partition at its next load-balancing round; the new owner reads from its checkpoint.
            LogOwnershipLost(_logger, exception);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The next batch's checkpoint covers this one; after a crash the batch is read again, which consumers absorb.
            LogCheckpointFailed(_logger, ConsumerGroup, EventHubName, number, exception);
        }
    }

    protected override Task OnProcessingErrorAsync(Exception exception, EventProcessorPartition partition, string operationDescription,
        CancellationToken cancellationToken)
    {
        LogProcessorError(_logger, ConsumerGroup, EventHubName, partition?.PartitionId, operationDescription, exception);
        return Task.CompletedTask;
    }

    // The store decides when an ownership has expired (it reports LastModifiedTime from it); the processor must agree,
    // and renew well within it.
    static EventProcessorOptions OptionsFor(EventHubsCheckpointStore store, EventProcessorOptions? options)
    {
        if (options is null)
        {
            options = new EventProcessorOptions { PartitionOwnershipExpirationInterval = store.OwnershipExpiration };
            if (options.LoadBalancingUpdateInterval > store.OwnershipExpiration / 3)
                options.LoadBalancingUpdateInterval = store.OwnershipExpiration / 3;
            return options;
        }

        if (options.PartitionOwnershipExpirationInterval != store.OwnershipExpiration)
        {
            throw new ArgumentException(
                $"PartitionOwnershipExpirationInterval ({options.PartitionOwnershipExpirationInterval}) must equal the checkpoint store's " +
                $"OwnershipExpiration ({store.OwnershipExpiration})", nameof(options));
        }

        return options;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Consumer group {Group} on {Stream} partition {Partition} failed at offset {Offset} ({Failures} in a row); retrying")]
    static partial void LogBatchFailed(ILogger logger, string group, string stream, int partition, long offset, int failures, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event Hubs processor: ownership lost")]
    static partial void LogOwnershipLost(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer group {Group} on {Stream} partition {Partition}: checkpoint not written")]
    static partial void LogCheckpointFailed(ILogger logger, string group, string stream, int partition, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event Hubs processor for {Group} on {Stream} (partition {Partition}): {Operation} failed")]
    static partial void LogProcessorError(ILogger logger, string group, string stream, string? partition, string operation, Exception exception);
}
