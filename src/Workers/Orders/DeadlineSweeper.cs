using GlobalCommerce.Contracts.Orders;
using GlobalCommerce.Sagas.Orders;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Workers.Orders;

// Turns due saga deadlines into OrderDeadlineExpired events. It only reads saga rows and publishes: every decision
// stays in the state machine. Several workers may sweep at once; the saga ignores an expiry whose deadline it no
// longer holds.
public sealed partial class DeadlineSweeper(IServiceScopeFactory scopes, SweeperOptions options, TimeProvider clock, ILogger<DeadlineSweeper> logger)
    : PeriodicSweeper(options.Interval, clock, logger)
{
    public override async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OrderDbContext>();
        var now = Clock.GetUtcNow();

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
}

