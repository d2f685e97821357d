using GlobalCommerce.Sagas.Orders;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Api.Orders;

// The number of accepted orders the platform is still working on, for admission (OrderAdmissionOptions.MaxInFlight). Read
// from order_db at most once per RefreshEvery however many submissions arrive, every submission meanwhile sharing that
// read; between reads this process adds what it admitted itself, so one API process never admits past the limit and
// several overshoot it by at most what they admit within one refresh. A place taken by a submission that then stores
// nothing (invalid, timed out in the queue) is given back by the next read.
//
// The limit itself is InFlightLimit's: while submissions are refused, a count also reads how long the median order in
// flight has waited, and the limit adapts to it.
public sealed partial class OrdersInFlight(IServiceScopeFactory scopes, OrderAdmissionOptions options, InFlightLimit limit, TimeProvider clock,
    ILogger<OrdersInFlight> logger)
{
    static readonly TimeSpan RefreshEvery = TimeSpan.FromMilliseconds(250);
    static readonly TimeSpan CountTimeout = TimeSpan.FromSeconds(5);

    // An accepted order whose saga has not started yet waits in the saga's queue, which is the backlog that matters
    // most. Only recent ones are counted: the read stays small under any history, and a SubmitOrder lost for good (see
    // the outbox) must not shut the door for ever.
    static readonly TimeSpan NotStartedWithin = TimeSpan.FromMinutes(1);

    // In flight: the states in which the saga waits on a queue, i.e. on machine work. A terminal order is done, and one
    // held for fraud review waits on a person for up to a day: counting those would let a review backlog close intake.
    static readonly string[] WorkingStates =
        [.. new OrderStateMachine(new OrderSagaOptions(), TimeProvider.System).Shape.AwaitedQueues.Keys.Order(StringComparer.Ordinal)];

    readonly Lock _gate = new();
    long _counted;
    // Admitted by this process since the count in _counted was started.
    long _admittedSince;
    DateTimeOffset _countedAt = DateTimeOffset.MinValue;
    Task? _counting;

    // Takes one place if there is room; a refused submission takes none.
    public async ValueTask<bool> TryAdmitAsync(CancellationToken cancellationToken)
    {
        if (options.MaxInFlight <= 0)
            return true;
        await RefreshAsync().WaitAsync(cancellationToken);
        var current = limit.Current;
        lock (_gate)
        {
            if (_counted + _admittedSince >= current)
            {
                limit.Refused();
                return false;
            }


            _admittedSince++;
            return true;
        }
    }

    // The read under way, a new one if the last is older than RefreshEvery, or nothing to wait for.
    Task RefreshAsync()
    {
        lock (_gate)
        {
            if (_counting is null && clock.GetUtcNow() - _countedAt < RefreshEvery)
                return Task.CompletedTask;
            // On the thread pool, so that this lock is released before the read's own bookkeeping takes it.
            return _counting ??= Task.Run(CountAsync);
        }
    }

    async Task CountAsync()
    {
        long admittedBefore;
        lock (_gate)
            admittedBefore = _admittedSince;
        long? counted = null;
        try
        {
            counted = await ReadAsync();
        }
#pragma warning disable CA1031 // admission must not fail a submission over a count: the last count stands until the next read
        catch (Exception exception)
#pragma warning restore CA1031
        {
            LogCountFailed(logger, exception);
        }
        finally
        {
            lock (_gate)
            {
                if (counted is { } count)
                {
                    // What this process admitted before the read started is in the count now (or refused by validation).
                    _counted = count;
                    _admittedSince -= admittedBefore;
                }

                // Stamped on failure too: an unreachable database is asked again after RefreshEvery, not by every request.
                _countedAt = clock.GetUtcNow();
                _counting = null;
            }
        }
    }

    async Task<long> ReadAsync()
    {
        using var timeout = new CancellationTokenSource(CountTimeout);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OrderDbContext>();
        var now = clock.GetUtcNow();
        var since = now - NotStartedWithin;
        var working = db.Orders.AsNoTracking().Where(order => WorkingStates.Contains(order.CurrentState));
        var notStarted = db.Requests.AsNoTracking().Where(request => request.AcceptedAt >= since && !db.Orders.Any(order => order.CorrelationId == request.OrderId));
        var total = await working.LongCountAsync(timeout.Token) + await notStarted.LongCountAsync(timeout.Token);
        if (total > 0 && limit.WantsWait)
        {
            // The median of when they were accepted (an order's saga keeps its request's time), oldest first.
            var median = await working.Select(order => order.SubmittedAt).Concat(notStarted.Select(request => request.AcceptedAt))
                .OrderBy(at => at).Skip((int)Math.Min(total / 2, int.MaxValue)).FirstOrDefaultAsync(timeout.Token);
            limit.Observe(median == default ? TimeSpan.Zero : now - median);
        }

        return total;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not count the orders in flight; admission goes by the last count")]
    static partial void LogCountFailed(ILogger logger, Exception exception);
}
