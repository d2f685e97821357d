using GlobalCommerce.Platform.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GlobalCommerce.Platform.Streams;

// Group commit for a consumer group that sets CommitTogether: the batches its partition readers hand over in this
// process (every partition of every stream it reads into one database) are collected for one window and handled in one
// scope and one transaction, and each reader goes on only once that transaction has committed. A group whose cost is
// per transaction and whose work does not depend on the partition it came from (counting) then commits a few times a
// second, whatever the number of partitions: the analytics group's 4 streams × 8 partitions had made up to 32 small
// transactions per batch time.
//
// The handlers take part in the open transaction (they begin their own only when none is open). Should the shared
// transaction fail, each batch in it is tried again alone, so one poison batch holds back only its own partition, which
// the reader then retries as it would its own transaction.
//
// One shared transaction of a group at a time across hosts: it takes a transaction-scoped advisory lock named after the
// group first. A shared transaction touches many rows (the analytics group: a counter per stream, type and hour, and the
// day's funnel row between types) in the order its batches came, so two hosts' transactions could each hold a row the
// other needs next; serialized, they cannot deadlock, and at a few transactions a second they do not wait long. (On
// SQLite there is one host per file, and the write gate already serializes.)
public sealed partial class SharedBatchTransaction(
    IServiceProvider services,
    string consumerGroup,
    Type databaseContext,
    TimeSpan window,
    TimeProvider clock,
    ILogger logger,
    CancellationToken stopping)
{
    // The group's advisory lock: a key every host derives alike from the group's name (string.GetHashCode differs per
    // process).
    readonly long _lockKey = BitConverter.ToInt64(System.Security.Cryptography.SHA256.HashData(
        System.Text.Encoding.UTF8.GetBytes("stream-group:" + consumerGroup)));

    readonly Lock _lock = new();
    List<Pending> _pending = [];
    bool _running;

    // Transactions committed (tests, diagnostics).
    public int Commits => Volatile.Read(ref _commits);

    int _commits;

    // Completes once the batch has been handled and committed, or fails with what made its transaction fail.
    public Task HandleAsync(StreamDispatcher dispatcher, IReadOnlyList<StreamEnvelope> batch, CancellationToken cancellationToken)
    {
        var pending = new Pending(dispatcher, batch, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        bool start;
        lock (_lock)
        {
            _pending.Add(pending);
            start = !_running;
            _running = true;
        }

        if (start)
            _ = Task.Run(RunAsync, CancellationToken.None);
        return pending.Done.Task.WaitAsync(cancellationToken);
    }

    // Runs while batches keep coming: waits a window, takes what came, commits it; stops when a window brought nothing.
    async Task RunAsync()
    {
        while (true)
        {
            if (window > TimeSpan.Zero)
                await Task.Delay(window, clock, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            List<Pending> taken;
            lock (_lock)
            {
                taken = _pending;
                _pending = [];
                if (taken.Count == 0)
                {
                    _running = false;
                    return;
                }
            }

            // Shutting down: the batches are left unfinished. Each reader is being stopped with its own token, gives up
            // waiting and stops quietly; after the restart the batches are read again from the checkpoint.
            if (stopping.IsCancellationRequested)
                continue;

            await CommitAsync(taken);
        }
    }

    async Task CommitAsync(List<Pending> taken)
    {
        try
        {
            await CommitTogetherAsync(taken);
            foreach (var pending in taken)
                pending.Done.TrySetResult();
            return;
        }
        catch (Exception) when (stopping.IsCancellationRequested)
        {
            return;
        }
        catch (Exception exception) when (taken.Count > 1)
        {
            LogSharedFailed(logger, databaseContext.Name, taken.Count, exception);
        }
        catch (Exception exception)
        {
            taken[0].Done.TrySetException(exception);
            return;
        }

        foreach (var pending in taken)
        {
            try
            {
                await CommitTogetherAsync([pending]);
                pending.Done.TrySetResult();
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                pending.Done.TrySetException(exception);
            }
        }
    }

    async Task CommitTogetherAsync(IReadOnlyList<Pending> batches)
    {
        await using var scope = services.CreateAsyncScope();
        var db = (DbContext)scope.ServiceProvider.GetRequiredService(databaseContext);
        using var turn = await Persistence.SqliteWriteGate.EnterAsync(db, stopping);
        await using var transaction = await db.Database.BeginTransactionAsync(stopping);
        if (db.Database.UsesPostgres())
            await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock({0})", [_lockKey], stopping);
        // A stream's batches together (partition after partition, each in offset order), so a batch consumer gets one
        // run per type for all of them.
        foreach (var stream in batches.GroupBy(b => b.Dispatcher))
        {
            var events = stream.Count() == 1 ? stream.First().Batch : stream.SelectMany(b => b.Batch).ToList();
            await stream.Key.DispatchAsync(scope.ServiceProvider, events, stopping);
        }

        await transaction.CommitAsync(stopping);
        Interlocked.Increment(ref _commits);
    }

    sealed record Pending(StreamDispatcher Dispatcher, IReadOnlyList<StreamEnvelope> Batch, TaskCompletionSource Done);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "A shared transaction of {Count} stream batches into {Database} failed; each batch is tried again alone")]
    static partial void LogSharedFailed(ILogger logger, string database, int count, Exception exception);
}
