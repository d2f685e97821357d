using System.Text.Json;
using GlobalCommerce.Contracts.Orders;
using GlobalCommerce.Platform.Messaging;
using GlobalCommerce.Sagas.Orders;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Workers.Orders;

// Turns due saga deadlines into OrderDeadlineExpired events and re-sends accepted orders that never reached the saga.
// It only reads order rows and sends messages: every decision stays in the state machine. Several workers may sweep
// at once; the saga ignores an expiry whose deadline it no longer holds, and a duplicate SubmitOrder.
public sealed partial class DeadlineSweeper(IServiceScopeFactory scopes, SweeperOptions options, TimeProvider clock, ILogger<DeadlineSweeper> logger)
    : BackgroundService
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

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

    public async Task<SweepResult> SweepAsync(CancellationToken cancellationToken)
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

        var cutoff = now - options.OrphanAge;
        var orphans = await db.Requests
            .Where(request => request.AcceptedAt <= cutoff && !db.Orders.Any(order => order.CorrelationId == request.OrderId))
            .OrderBy(request => request.AcceptedAt)
            .Take(options.BatchSize)
            .ToListAsync(cancellationToken);
        if (orphans.Count > 0)
        {
            var saga = await scope.ServiceProvider.GetRequiredService<ISendEndpointProvider>().GetSendEndpoint(QueueNames.OrderSaga);
            foreach (var request in orphans)
            {
                await saga.Send(JsonSerializer.Deserialize<SubmitOrder>(request.Submission, Json)!, cancellationToken);
                request.SendAttempts++;
                LogOrphanResent(logger, request.OrderId, request.SendAttempts);
            }

            await db.SaveChangesAsync(cancellationToken);
        }

        return new SweepResult(due.Count, orphans.Count);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deadline of order {OrderId} passed at {DeadlineAt}")]
    static partial void LogDeadlineExpired(ILogger logger, Guid orderId, DateTimeOffset deadlineAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Accepted order {OrderId} has no saga yet; SubmitOrder re-sent (attempt {Attempt})")]
    static partial void LogOrphanResent(ILogger logger, Guid orderId, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Deadline sweep failed; retrying on the next tick")]
    static partial void LogSweepFailed(ILogger logger, Exception exception);
}

public sealed record SweepResult(int DeadlinesExpired, int OrphansResent);
