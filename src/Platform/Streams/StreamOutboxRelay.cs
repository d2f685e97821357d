using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GlobalCommerce.Platform.Streams;

// Empties one database's stream outbox onto the streams, in the order the rows were written: read a batch (no
// transaction held), produce it and wait for the backend's confirmation, then delete exactly those rows. One relay per
// database at a time, across processes (a lease, "$relay"), so the order of a key's events is kept. A crash between
// produce and delete produces the rows again with the same EventIds: consumers drop the copies.
public sealed partial class StreamOutboxRelay(
    IServiceProvider services,
    Type contextType,
    StreamProducer producer,
    StreamOptions options,
    TimeProvider clock,
    string owner,
    ILogger logger)
{
    public const string RelayGroup = "$relay";
    const string RelayStream = "$outbox";

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var wakeup = StreamOutboxSignal.WakeupOf(contextType);
        var leaseValidUntil = 0L;
        var lastRenew = DateTimeOffset.MinValue;
        var failures = 0;
        var ensured = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var scope = services.CreateAsyncScope();
                var db = (DbContext)scope.ServiceProvider.GetRequiredService(contextType);
                if (!ensured)
                {
                    await StreamStore.EnsureTablesAsync(db, stoppingToken);
                    ensured = true;
                }

                var now = clock.GetUtcNow();
                if (now - lastRenew >= options.LeaseDuration / 3 || now.ToUnixTimeMilliseconds() >= leaseValidUntil)
                {
                    var expires = now.ToUnixTimeMilliseconds() + (long)options.LeaseDuration.TotalMilliseconds;
                    var held = await StreamStore.TryAcquireAsync(db, RelayGroup, RelayStream, 0, owner, now.ToUnixTimeMilliseconds(), expires, stoppingToken);
                    leaseValidUntil = held ? expires : 0;
                    lastRenew = now;
                }

                var moved = 0;
                if (clock.GetUtcNow().ToUnixTimeMilliseconds() < leaseValidUntil)
                    moved = await RelayBatchAsync(db, stoppingToken);
                failures = 0;
                if (moved < options.RelayBatchSize)
                {
                    var wait = leaseValidUntil > 0 ? options.RelayPollInterval : options.LeaseDuration / 3;
                    if (await wakeup.WaitAsync(wait, stoppingToken) && options.RelayLinger > TimeSpan.Zero)
                        await Task.Delay(options.RelayLinger, clock, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                failures++;
                LogRelayFailed(logger, contextType.Name, failures, exception);
                var pause = TimeSpan.FromMilliseconds(Math.Min(100 * Math.Pow(2, Math.Min(failures, 8)), 10_000));
                await Task.Delay(pause, clock, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        await ReleaseQuietlyAsync();
    }

    async Task<int> RelayBatchAsync(DbContext db, CancellationToken cancellationToken)
    {
        var rows = await db.Set<StreamOutboxEntry>().AsNoTracking().OrderBy(e => e.Id).Take(options.RelayBatchSize).ToListAsync(cancellationToken);
        if (rows.Count == 0)
            return 0;
        var records = rows.Select(r => new StreamRecord(r.EventId, r.Stream, r.PartitionKey, r.MessageType, Encoding.UTF8.GetBytes(r.Body),
            DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt), r.TraceParent)).ToList();
        await producer.ProduceAsync(records, cancellationToken);
        StreamFaultInjection.Reached(StreamCrashPoint.AfterProduce);
        var ids = rows.Select(r => r.Id).ToList();
        using var turn = await Persistence.SqliteWriteGate.EnterAsync(db, CancellationToken.None);
        await db.Set<StreamOutboxEntry>().Where(e => ids.Contains(e.Id)).ExecuteDeleteAsync(CancellationToken.None);
        return rows.Count;
    }

    async Task ReleaseQuietlyAsync()
    {
        try
        {
            await using var scope = services.CreateAsyncScope();
            var db = (DbContext)scope.ServiceProvider.GetRequiredService(contextType);
            await StreamStore.ReleaseAsync(db, RelayGroup, RelayStream, 0, owner, CancellationToken.None);
        }
        catch (Exception exception)
        {
            LogRelayFailed(logger, contextType.Name, 0, exception);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream outbox relay of {Database} failed ({Failures} in a row); retrying")]
    static partial void LogRelayFailed(ILogger logger, string database, int failures, Exception exception);
}
