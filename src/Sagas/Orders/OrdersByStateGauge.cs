using System.Data.Common;
using System.Diagnostics.Metrics;
using GlobalCommerce.Platform.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GlobalCommerce.Sagas.Orders;

// gc.orders.by_state: how many orders sit in each saga state, read from order_db. A listener reads observable
// instruments synchronously on every collection (each export interval, each scrape, each test), so the counts are
// cached and the grouped COUNT runs at most once per CacheFor however often it is read.
public sealed partial class OrdersByStateGauge(IMeterFactory meters, IServiceScopeFactory scopes, TimeProvider clock, ILogger<OrdersByStateGauge> logger)
    : IHostedService
{
    static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(10);

    readonly Lock _gate = new();
    // States seen before keep reporting 0 once emptied, so a drained state reads 0 instead of its last count.
    readonly Dictionary<string, long> _counts = [];
    DateTimeOffset _readAt = DateTimeOffset.MinValue;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // From the host's meter factory, not a static meter: the meter and its callback go when this host's container does.
        var meter = meters.Create(CommerceTelemetry.MeterName);
        meter.CreateObservableGauge("gc.orders.by_state", Observe, unit: "{order}", description: "Orders in each saga state");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    IEnumerable<Measurement<long>> Observe()
    {
        lock (_gate)
        {
            var now = clock.GetUtcNow();
            if (now - _readAt >= CacheFor)
            {
                // Stamped on failure too: an unreachable database is retried after CacheFor, not on every read.
                _readAt = now;
                Refresh();
            }

            return [.. _counts.Select(count => new Measurement<long>(count.Value, new KeyValuePair<string, object?>("gc.order.state", count.Key)))];
        }
    }

    void Refresh()
    {
        try
        {
            using var scope = scopes.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<OrderDbContext>();
            var current = db.Orders.AsNoTracking()
                .GroupBy(order => order.CurrentState)
                .Select(group => new { State = group.Key, Count = group.LongCount() })
                .ToDictionary(group => group.State, group => group.Count);
            foreach (var state in _counts.Keys.Except(current.Keys).ToList())
                _counts[state] = 0;
            foreach (var (state, count) in current)
                _counts[state] = count;
        }
        catch (DbException exception)
        {
            LogReadFailed(logger, exception);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not count orders by state; the gauge keeps its last values")]
    static partial void LogReadFailed(ILogger logger, Exception exception);
}
