using GlobalCommerce.Contracts.Identity;
using GlobalCommerce.Sagas.Erasure;
using GlobalCommerce.Workers.Orders;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Workers.Erasure;

// The order sweeper's twin for erasures: turns due DeadlineAt values into ErasureDeadlineExpired and leaves every
// decision (re-send or hand to support) to the state machine, which ignores an expiry it no longer holds.
public sealed partial class ErasureDeadlineSweeper(IServiceScopeFactory scopes, SweeperOptions options, TimeProvider clock,
    ILogger<ErasureDeadlineSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Interval, clock);
        do
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
#pragma warning disable CA1031 // a failed sweep (database restarting, broker down) is retried on the next tick
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
#pragma warning restore CA1031
            {
                LogSweepFailed(logger, exception);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ErasureDbContext>();
        var now = clock.GetUtcNow();

        var due = await db.Erasures.AsNoTracking()
            .Where(erasure => erasure.DeadlineAt != null && erasure.DeadlineAt <= now)
            .OrderBy(erasure => erasure.DeadlineAt)
            .Select(erasure => new { erasure.CorrelationId, erasure.DeadlineAt })
            .Take(options.BatchSize)
            .ToListAsync(cancellationToken);
        var publish = scope.ServiceProvider.GetRequiredService<IPublishEndpoint>();
        foreach (var erasure in due)
        {
            await publish.Publish(new ErasureDeadlineExpired { ErasureId = erasure.CorrelationId, DeadlineAt = erasure.DeadlineAt!.Value }, cancellationToken);
            LogDeadlineExpired(logger, erasure.CorrelationId, erasure.DeadlineAt.Value);
        }

        return due.Count;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deadline of erasure {ErasureId} passed at {DeadlineAt}")]
    static partial void LogDeadlineExpired(ILogger logger, Guid erasureId, DateTimeOffset deadlineAt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Erasure deadline sweep failed; retrying on the next tick")]
    static partial void LogSweepFailed(ILogger logger, Exception exception);
}
