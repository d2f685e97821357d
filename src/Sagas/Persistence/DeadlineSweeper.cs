using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GlobalCommerce.Sagas.Persistence;

// A saga that waits with a deadline: DeadlineAt is when the step it waits for is overdue, null while nothing is.
public interface ISagaDeadline : ISaga
{
    DateTimeOffset? DeadlineAt { get; }
}

// What one saga's sweeper publishes: its name in the logs and its expiry event for (correlation id, deadline).
public sealed record DeadlineExpiry<TSaga, TExpired>(string SagaName, Func<Guid, DateTimeOffset, TExpired> Expired)
    where TSaga : class, ISagaDeadline
    where TExpired : class;

// Turns a saga's due deadlines into its expiry event. It only reads saga rows and publishes: every decision stays in
// the state machine. Several workers may sweep at once; the saga ignores an expiry whose deadline it no longer holds.
public sealed partial class DeadlineSweeper<TSaga, TDbContext, TExpired>(IServiceScopeFactory scopes, SweeperOptions options,
    DeadlineExpiry<TSaga, TExpired> expiry, TimeProvider clock, ILogger<DeadlineSweeper<TSaga, TDbContext, TExpired>> logger)
    : BackgroundService
    where TSaga : class, ISagaDeadline
    where TDbContext : DbContext
    where TExpired : class
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
                LogSweepFailed(logger, expiry.SagaName, exception);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TDbContext>();
        var now = clock.GetUtcNow();

        var due = await db.Set<TSaga>().AsNoTracking()
            .Where(saga => saga.DeadlineAt != null && saga.DeadlineAt <= now)
            .OrderBy(saga => saga.DeadlineAt)
            .Select(saga => new { saga.CorrelationId, saga.DeadlineAt })
            .Take(options.BatchSize)
            .ToListAsync(cancellationToken);
        var publish = scope.ServiceProvider.GetRequiredService<IPublishEndpoint>();
        foreach (var saga in due)
        {
            await publish.Publish(expiry.Expired(saga.CorrelationId, saga.DeadlineAt!.Value), cancellationToken);
            LogDeadlineExpired(logger, expiry.SagaName, saga.CorrelationId, saga.DeadlineAt.Value);
        }

        return due.Count;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deadline of {Saga} {CorrelationId} passed at {DeadlineAt}")]
    static partial void LogDeadlineExpired(ILogger logger, string saga, Guid correlationId, DateTimeOffset deadlineAt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Deadline sweep of {Saga} sagas failed; retrying on the next tick")]
    static partial void LogSweepFailed(ILogger logger, string saga, Exception exception);
}

public static class DeadlineSweeperRegistration
{
    // Runs the saga's sweeper in this host, resolvable as itself too (SweepAsync on demand).
    public static IServiceCollection AddDeadlineSweeper<TSaga, TDbContext, TExpired>(this IServiceCollection services,
        IConfiguration configuration, string sagaName, Func<Guid, DateTimeOffset, TExpired> expired)
        where TSaga : class, ISagaDeadline
        where TDbContext : DbContext
        where TExpired : class
    {
        services.TryAddSingleton(_ =>
        {
            var options = new SweeperOptions();
            configuration.GetSection(SweeperOptions.Section).Bind(options);
            return options;
        });
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(new DeadlineExpiry<TSaga, TExpired>(sagaName, expired));
        services.AddSingleton<DeadlineSweeper<TSaga, TDbContext, TExpired>>();
        services.AddHostedService(provider => provider.GetRequiredService<DeadlineSweeper<TSaga, TDbContext, TExpired>>());
        return services;
    }
}
