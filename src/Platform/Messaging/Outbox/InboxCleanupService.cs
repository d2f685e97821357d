using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GlobalCommerce.Platform.Messaging.Outbox;

public sealed class OutboxOptions
{
    public const string Section = "Commerce:Outbox";

    // How long a consumed message id is remembered: a redelivery within this window has no effect.
    public TimeSpan DuplicateDetectionWindow { get; set; } = TimeSpan.FromMinutes(30);

    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromMinutes(1);

    // Rows deleted per statement, so cleanup never holds long locks.
    public int CleanupBatchSize { get; set; } = 1000;

    // "Delivered" marks written per statement.
    public int MarkBatchSize { get; set; } = 500;

    // How long the mark writer, woken by a first mark, waits for more before it writes them all in one statement (one
    // commit). A mark only keeps the sweep from sending a row again after RedeliveryGrace, so a quarter of a second
    // costs nothing, while writing each mark as it came made the marks one commit per one or two messages under load.
    // Zero: write at once.
    public TimeSpan MarkLinger { get; set; } = TimeSpan.FromMilliseconds(250);

    // How often rows committed but never marked delivered are looked for, and how old one must be to be sent again
    // (younger ones are most likely being delivered by another process right now).
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan RedeliveryGrace { get; set; } = TimeSpan.FromSeconds(10);

    public int SweepBatchSize { get; set; } = 200;

    // Whether the endpoints registered for it (the sagas', on PostgreSQL) let the messages in hand at once share one
    // commit (SharedCommit), and at most how many. Off: every message commits alone.
    public bool ShareCommits { get; set; } = true;

    public int SharedCommitMaxMessages { get; set; } = 32;
}

// Forgets inbox rows older than the duplicate-detection window, a bounded batch at a time.
public sealed partial class InboxCleanupService<TDbContext>(IServiceScopeFactory scopes, OutboxOptions options, TimeProvider clock,
    ILogger<InboxCleanupService<TDbContext>> logger) : BackgroundService
    where TDbContext : DbContext
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.CleanupInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await CleanupAsync(stoppingToken);
            }
#pragma warning disable CA1031 // cleanup is retried on the next tick
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
#pragma warning restore CA1031
            {
                LogCleanupFailed(logger, typeof(TDbContext).Name, exception);
            }
        }
    }

    public async Task<int> CleanupAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TDbContext>();
        var cutoff = clock.GetUtcNow() - options.DuplicateDetectionWindow;
        var total = 0;
        int deleted;
        do
        {
            var batch = db.Set<InboxState>().Where(i => i.Delivered != null && i.Delivered < cutoff)
                .OrderBy(i => i.Id).Select(i => i.Id).Take(options.CleanupBatchSize);
            deleted = await db.Set<InboxState>().Where(i => batch.Contains(i.Id)).ExecuteDeleteAsync(cancellationToken);
            total += deleted;
        }
        while (deleted == options.CleanupBatchSize && !cancellationToken.IsCancellationRequested);
        return total;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Inbox cleanup of {Context} failed; retrying on the next tick")]
    static partial void LogCleanupFailed(ILogger logger, string context, Exception exception);
}
