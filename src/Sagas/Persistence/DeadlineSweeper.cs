using GlobalCommerce.Contracts.Orders;
using GlobalCommerce.Sagas.Orders;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Workers.Orders;

// Turns due saga deadlines into OrderDeadlineExpired events. It only reads saga rows and publishes: every decision
// stays in the state machine. Several workers may sweep at once; the saga ignores an expiry whose deadline it no
// longer holds.
public sealed partial class DeadlineSweeper(IServiceScopeFactory scopes, SweeperOptions options, TimeProvider clock, ILogger<DeadlineSweeper> logger)
    : BackgroundService
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
        var db = scope.ServiceProvider.GetRequiredService<OrderDbContext>();
        var now = clock.GetUtcNow();

        var due = await db.Orders.AsNoTracking()
            .Where(order => order.DeadlineAt != null && order.DeadlineAt <= now)
            .OrderBy(order => order.DeadlineAt)
            .Select(order => new { order.CorrelationId, order.DeadlineAt })
            .Take(options.BatchSize)
            .ToListAsync(cancellationToken);
        var publish = scope.ServiceProvider.GetRequiredService<IPublishEndpoint>();
        foreach (var order in due)
        {
            await publish.Publish(new OrderDeadlineExpired { OrderId = order.CorrelationId, DeadlineAt = order.DeadlineAt!.Value }, cancellationToken);
            LogDeadlineExpired(logger, order.CorrelationId, order.DeadlineAt.Value);
        }

        return due.Count;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deadline of order {OrderId} passed at {DeadlineAt}")]
    static partial void LogDeadlineExpired(ILogger logger, Guid orderId, DateTimeOffset deadlineAt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Deadline sweep failed; retrying on the next tick")]
    static partial void LogSweepFailed(ILogger logger, Exception exception);
}

