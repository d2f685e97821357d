using GlobalCommerce.Platform.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GlobalCommerce.Platform.Streams;

// Reads one partition for one consumer group while this host holds its lease: from the checkpoint, in batches, each
// handed to the group's consumers in a fresh scope and retried (same batch, same order) until it succeeds. The read
// position is written every CheckpointInterval or CheckpointEvents events and when the loop stops; after a crash the
// events since the last checkpoint are read again, which the consumers' idempotency absorbs.
public sealed partial class PartitionReaderLoop(
    IServiceProvider services,
    TopicEndpointConfigurator endpoint,
    StreamDispatcher dispatcher,
    IStreamBackend backend,
    StreamOptions options,
    TimeProvider clock,
    string owner,
    int partition,
    ILogger logger,
    SharedBatchTransaction? shared = null)
{
    readonly CancellationTokenSource _stop = new();
    bool _releaseLease = true;
    Task _completion = Task.CompletedTask;

    public int Partition => partition;

    // Set by the balancer on every renewal; a loop whose lease ran out stops before it handles another batch.
    public long LeaseValidUntil { get; set; }

    public Task Completion => _completion;

    public void Start() => _completion = Task.Run(RunAsync, CancellationToken.None);

    public async Task StopAsync(bool releaseLease = true)
    {
        _releaseLease = releaseLease;
        await _stop.CancelAsync();
        await _completion.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    async Task RunAsync()
    {
        var group = endpoint.ConsumerGroup;
        var stream = endpoint.Stream;
        var batchSize = endpoint.BatchSize ?? options.BatchSize;
        var batchTimeLimit = endpoint.BatchTimeLimit ?? options.BatchTimeLimit;
        var checkpointEvents = endpoint.CheckpointEvents ?? options.CheckpointEvents;
        var checkpointInterval = endpoint.CheckpointInterval ?? options.CheckpointInterval;
        var stopping = _stop.Token;

        long? next = null;
        long? checkpointed = null;
        var sinceCheckpoint = 0;
        var lastCheckpoint = clock.GetUtcNow();
        IPartitionReader? reader = null;
        var failures = 0;
        try
        {
            next = checkpointed = await WithScopeAsync(db => StreamStore.ReadCheckpointAsync(db, group, stream, partition, stopping));
            while (!stopping.IsCancellationRequested && LeaseHeld())
            {
                try
                {
                    reader ??= await backend.OpenAsync(stream, partition, next, stopping);
                    var batch = await reader.ReadAsync(batchSize, options.ReadWait, stopping);
                    // A shared transaction waits for the group's batches itself: a reader hands over what it found.
                    if (batch.Count > 0 && batchTimeLimit > TimeSpan.Zero && shared is null)
                        batch = await ReadMoreAsync(reader, batch, batchSize, batchTimeLimit, stopping);
                    if (batch.Count > 0)
                    {
                        if (!LeaseHeld())
                            break;
                        batch = await HandleAsync(reader, batch, batchSize, stopping);
                        next = batch[^1].Offset + 1;
                        sinceCheckpoint += batch.Count;
                        StreamTelemetry.Consumed.Add(batch.Count, new KeyValuePair<string, object?>("group", group),
                            new KeyValuePair<string, object?>("stream", stream));
                    }

                    failures = 0;
                    if (next != checkpointed && (sinceCheckpoint >= checkpointEvents || clock.GetUtcNow() - lastCheckpoint >= checkpointInterval))
                    {
                        if (!await CheckpointAsync(next!.Value, stopping))
                            break;
                        checkpointed = next;
                        sinceCheckpoint = 0;
                        lastCheckpoint = clock.GetUtcNow();
                    }
                }
                catch (Exception exception) when (!stopping.IsCancellationRequested)
                {
                    // The reader or a batch failed: start over from the last handled position after a pause that grows
                    // with repeated failures (a poison event holds its partition and says so in the log, it is not skipped).
                    failures++;
                    LogReadFailed(logger, group, stream, partition, next, failures, exception);
                    if (reader is not null)
                        await DisposeQuietlyAsync(reader);
                    reader = null;
                    var pause = TimeSpan.FromMilliseconds(Math.Min(100 * Math.Pow(2, Math.Min(failures, 9)), 30_000));
                    await Task.Delay(pause, clock, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        finally
        {
            if (reader is not null)
                await DisposeQuietlyAsync(reader);
            if (next is { } position && next != checkpointed)
                await CheckpointAsync(position, CancellationToken.None);
            if (_releaseLease)
                await ReleaseQuietlyAsync();
            LogStopped(logger, group, stream, partition, next);
        }
    }

    bool LeaseHeld() => clock.GetUtcNow().ToUnixTimeMilliseconds() < LeaseValidUntil;

    // Reads more into a batch that is not full, until it is or `wait` has passed; a zero wait takes only what is there.
    async Task<IReadOnlyList<StreamEnvelope>> ReadMoreAsync(IPartitionReader reader, IReadOnlyList<StreamEnvelope> batch, int batchSize,
        TimeSpan wait, CancellationToken cancellationToken)
    {
        if (batch.Count >= batchSize)
            return batch;
        var events = new List<StreamEnvelope>(batch);
        var until = clock.GetUtcNow() + wait;
        while (events.Count < batchSize)
        {
            var left = until - clock.GetUtcNow();
            var more = await reader.ReadAsync(batchSize - events.Count, left > TimeSpan.Zero ? left : TimeSpan.Zero, cancellationToken);
            if (more.Count == 0)
                break;
            events.AddRange(more);
            if (left <= TimeSpan.Zero)
                break;
        }

        return events;
    }

    // Returns the events handled: the batch, and on SQLite what arrived while the loop waited for its write turn.
    async Task<IReadOnlyList<StreamEnvelope>> HandleAsync(IPartitionReader reader, IReadOnlyList<StreamEnvelope> batch, int batchSize,
        CancellationToken cancellationToken)
    {
        // Nothing for this group in the batch: no scope, no database, no write turn; the position moves past it.
        if (!dispatcher.Handles(batch))
            return batch;
        if (shared is not null)
        {
            await shared.HandleAsync(dispatcher, batch, cancellationToken);
            return batch;
        }

        await using var scope = services.CreateAsyncScope();
        // On SQLite the group's partitions take turns writing its database (see SqliteWriteGate). A turn costs a
        // transaction whatever its size, and while this loop waited the others' turns its partition kept filling: it
        // takes what came in the meantime (without waiting for more), so a busy group writes fewer, fuller batches
        // instead of falling behind one small batch per turn.
        using var turn = await SqliteWriteGate.EnterAsync((DbContext)scope.ServiceProvider.GetRequiredService(endpoint.DatabaseContext), cancellationToken);
        if (turn is not null)
            batch = await ReadMoreAsync(reader, batch, batchSize, TimeSpan.Zero, cancellationToken);

        await dispatcher.DispatchAsync(scope.ServiceProvider, batch, cancellationToken);
        return batch;
    }

    async Task<bool> CheckpointAsync(long position, CancellationToken cancellationToken)
    {
        try
        {
            var written = await WithScopeAsync(db => StreamStore.WriteCheckpointAsync(db, endpoint.ConsumerGroup, endpoint.Stream, partition, position,
                owner, clock.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken));
            if (written)
                StreamTelemetry.Checkpoints.Add(1);
            else
                LogLeaseLost(logger, endpoint.ConsumerGroup, endpoint.Stream, partition);
            return written;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The position stays in memory; the next checkpoint (or a replay after a crash) covers it.
            LogCheckpointFailed(logger, endpoint.ConsumerGroup, endpoint.Stream, partition, exception);
            return true;
        }
    }

    async Task ReleaseQuietlyAsync()
    {
        try
        {
            await WithScopeAsync(async db =>
            {
                await StreamStore.ReleaseAsync(db, endpoint.ConsumerGroup, endpoint.Stream, partition, owner, CancellationToken.None);
                return true;
            });
        }
        catch (Exception exception)
        {
            LogCheckpointFailed(logger, endpoint.ConsumerGroup, endpoint.Stream, partition, exception);
        }
    }

    async Task<T> WithScopeAsync<T>(Func<DbContext, Task<T>> action)
    {
        await using var scope = services.CreateAsyncScope();
        var db = (DbContext)scope.ServiceProvider.GetRequiredService(endpoint.DatabaseContext);
        using var turn = await SqliteWriteGate.EnterAsync(db, CancellationToken.None);
        return await action(db);
    }

    static async Task DisposeQuietlyAsync(IPartitionReader reader)
    {
        try
        {
            await reader.DisposeAsync();
        }
#pragma warning disable CA1031 // a broken reader is being thrown away
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Consumer group {Group} on {Stream} partition {Partition} failed at offset {Offset} ({Failures} in a row); retrying")]
    static partial void LogReadFailed(ILogger logger, string group, string stream, int partition, long? offset, int failures, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer group {Group} on {Stream} partition {Partition}: checkpoint not written")]
    static partial void LogCheckpointFailed(ILogger logger, string group, string stream, int partition, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer group {Group} on {Stream} partition {Partition}: lease lost to another host")]
    static partial void LogLeaseLost(ILogger logger, string group, string stream, int partition);

    [LoggerMessage(Level = LogLevel.Information, Message = "Consumer group {Group} stopped reading {Stream} partition {Partition} at {Offset}")]
    static partial void LogStopped(ILogger logger, string group, string stream, int partition, long? offset);
}
