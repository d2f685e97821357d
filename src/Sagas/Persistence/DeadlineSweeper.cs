using System.Collections.Frozen;
using GlobalCommerce.Platform.Messaging;
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

    string CurrentState { get; }
}

// What one saga's sweeper publishes: its name in the logs and its expiry event for (correlation id, deadline). And the
// seam for backlogs: per state, the queues the awaited reply passes through (the command's, then the saga's own). A state
// not listed waits on no queue (a person, a clock) and its deadlines fire on time.
public sealed record DeadlineExpiry<TSaga, TExpired>(string SagaName, Func<Guid, DateTimeOffset, TExpired> Expired)
    where TSaga : class, ISagaDeadline
    where TExpired : class
{
    public IReadOnlyDictionary<string, IReadOnlyList<string>> AwaitedQueues { get; init; } =
        FrozenDictionary<string, IReadOnlyList<string>>.Empty;
}

// Turns a saga's due deadlines into its expiry event. It only reads saga rows and publishes: every decision stays in
// the state machine. Several workers may sweep at once; the saga ignores an expiry whose deadline it no longer holds.
// Each deadline's expiry is published once, and again only after RepublishAfter if the saga still holds it: under a
// backlog the saga reaches the first one late, and a copy per tick would only add to the backlog it is stuck behind.
//
// A deadline whose reply is merely queued is not due. While a state's awaited queues are observed to be backlogged
// (QueueWaitMonitor), its deadlines count from DeadlineAt + that wait: the command sent at the deadline's start is
// still in the queue, so re-sending it or compensating would be a guess made too early. This is decided here rather than
// by the saga on receiving the expiry because the expiry itself would have to queue behind the same backlog, and every
// postponement would cost the saga a message and a commit at the moment it has least to spare; the sweeper only decides
// *when* a deadline has passed, as it always did, and what passing means stays in the state machine. A queue with no
// recent observation (nothing consumed it within QueueWaitWindow: its consumer is down) postpones nothing.
public sealed partial class DeadlineSweeper<TSaga, TDbContext, TExpired>(IServiceScopeFactory scopes, SweeperOptions options,
    DeadlineExpiry<TSaga, TExpired> expiry, QueueWaitMonitor queueWaits, TimeProvider clock,
    ILogger<DeadlineSweeper<TSaga, TDbContext, TExpired>> logger)
    : BackgroundService
    where TSaga : class, ISagaDeadline
    where TDbContext : DbContext
    where TExpired : class
{
    readonly SemaphoreSlim _sweeping = new(1, 1);
    // (saga, deadline) → when its expiry was last published. Only deadlines still due are kept (see Forget), so it holds
    // at most the sagas whose expiry is on its way to them.
    readonly Dictionary<(Guid CorrelationId, DateTimeOffset DeadlineAt), DateTimeOffset> _published = [];

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

    // Returns how many expiries it published.
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        await _sweeping.WaitAsync(cancellationToken);
        try
        {
            return await SweepOnceAsync(cancellationToken);
        }
        finally
        {
            _sweeping.Release();
        }
    }

    async Task<int> SweepOnceAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TDbContext>();
        var now = clock.GetUtcNow();
        var republishAfter = options.RepublishAfter;

        // Deadlines published within RepublishAfter are skipped below; reading that many rows more keeps them from
        // crowding out a batch's worth of deadlines that still need their first expiry.
        var take = options.BatchSize + _published.Values.Count(at => now - at < republishAfter);
        var query = db.Set<TSaga>().AsNoTracking().Where(saga => saga.DeadlineAt != null && saga.DeadlineAt <= now);
        foreach (var (state, wait) in Backlogs(now))
        {
            // Postponed in the query, not after it: a batch of postponed rows must not hide a due deadline behind them.
            var cutoff = now - wait;
            query = query.Where(saga => saga.CurrentState != state || saga.DeadlineAt <= cutoff);
            LogPostponed(logger, expiry.SagaName, state, wait);
        }

        var due = await query
            .OrderBy(saga => saga.DeadlineAt)
            .Select(saga => new Due(saga.CorrelationId, saga.DeadlineAt!.Value))
            .Take(take)
            .ToListAsync(cancellationToken);
        Forget(due, complete: due.Count < take);

        var publish = scope.ServiceProvider.GetRequiredService<IPublishEndpoint>();
        var published = 0;
        foreach (var saga in due)
        {
            if (published == options.BatchSize)
                break;
            var key = (saga.CorrelationId, saga.DeadlineAt);
            var again = _published.TryGetValue(key, out var publishedAt);
            if (again && now - publishedAt < republishAfter)
                continue;

            await publish.Publish(expiry.Expired(saga.CorrelationId, saga.DeadlineAt), cancellationToken);
            _published[key] = now;
            published++;
            if (again)
                LogDeadlineExpiredAgain(logger, expiry.SagaName, saga.CorrelationId, saga.DeadlineAt, now - publishedAt);
            else
                LogDeadlineExpired(logger, expiry.SagaName, saga.CorrelationId, saga.DeadlineAt);
        }

        return published;
    }

    // Per state, how long its awaited queues currently hold messages back: the sum of their latest observed waits (the
    // command waits in one, the reply in the next), counting only observations made within QueueWaitWindow.
    IEnumerable<(string State, TimeSpan Wait)> Backlogs(DateTimeOffset now)
    {
        foreach (var (state, queues) in expiry.AwaitedQueues)
        {
            var wait = TimeSpan.Zero;
            foreach (var queue in queues)
            {
                if (queueWaits.Latest(queue) is { } seen && now - seen.ObservedAt <= options.QueueWaitWindow)
                    wait += seen.Wait;
            }

            if (wait > TimeSpan.Zero)
                yield return (state, wait);
        }
    }

    // A deadline the saga no longer holds (it handled the expiry, or moved on) is forgotten. Rows come earliest first, so
    // when the read stopped at its limit only the deadlines up to the last one read are known to be gone.
    void Forget(List<Due> due, bool complete)
    {
        if (_published.Count == 0)
            return;
        var seen = due.Select(saga => (saga.CorrelationId, saga.DeadlineAt)).ToHashSet();
        var readUpTo = due.Count == 0 ? DateTimeOffset.MinValue : due[^1].DeadlineAt;
        foreach (var key in _published.Keys.Where(key => !seen.Contains(key) && (complete || key.DeadlineAt < readUpTo)).ToList())
            _published.Remove(key);
    }

    public override void Dispose()
    {
        _sweeping.Dispose();
        base.Dispose();
    }

    sealed record Due(Guid CorrelationId, DateTimeOffset DeadlineAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deadline of {Saga} {CorrelationId} passed at {DeadlineAt}")]
    static partial void LogDeadlineExpired(ILogger logger, string saga, Guid correlationId, DateTimeOffset deadlineAt);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Deadline of {Saga} {CorrelationId} passed at {DeadlineAt} is still held {Since} after its expiry was published; publishing it again")]
    static partial void LogDeadlineExpiredAgain(ILogger logger, string saga, Guid correlationId, DateTimeOffset deadlineAt, TimeSpan since);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Deadlines of {Saga} sagas in {State} postponed by {Wait}: the queues it waits on are backlogged")]
    static partial void LogPostponed(ILogger logger, string saga, string state, TimeSpan wait);

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
        where TExpired : class =>
        services.AddDeadlineSweeper<TSaga, TDbContext, TExpired>(configuration, _ => new DeadlineExpiry<TSaga, TExpired>(sagaName, expired));

    // The same, for a saga whose expiry is described from services (its state machine's shape, say).
    public static IServiceCollection AddDeadlineSweeper<TSaga, TDbContext, TExpired>(this IServiceCollection services,
        IConfiguration configuration, Func<IServiceProvider, DeadlineExpiry<TSaga, TExpired>> expiry)
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
        services.AddQueueWaitMonitor();
        services.AddSingleton(expiry);
        services.AddSingleton<DeadlineSweeper<TSaga, TDbContext, TExpired>>();
        services.AddHostedService(provider => provider.GetRequiredService<DeadlineSweeper<TSaga, TDbContext, TExpired>>());
        return services;
    }
}
