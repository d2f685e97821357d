using GlobalCommerce.Contracts.Identity;
using GlobalCommerce.Sagas.Erasure;
using GlobalCommerce.Workers.Orders;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Workers.Erasure;

// The order sweeper's twin for erasures: turns due DeadlineAt values into ErasureDeadlineExpired and leaves every
// decision (re-send or hand to support) to the state machine, which ignores an expiry it no longer holds.
public sealed partial class ErasureDeadlineSweeper(IServiceScopeFactory scopes, SweeperOptions options, TimeProvider clock,
    ILogger<ErasureDeadlineSweeper> logger)
    : PeriodicSweeper(options.Interval, clock, logger)
{
    public override async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ErasureDbContext>();
        var now = Clock.GetUtcNow();

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
}
