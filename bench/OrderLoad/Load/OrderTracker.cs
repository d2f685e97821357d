using System.Collections.Concurrent;
using System.Diagnostics;

namespace GlobalCommerce.Bench.OrderLoad.Load;

// Follows accepted orders until they end. A few poller tasks each own a shard of the in-flight orders and cycle over
// it every PollInterval, asking only for orders that are due. An order is first asked about when a typical order of
// the moment would be done (a running average of recent end-to-end times, at most FirstPollCap), then after half its
// age (at least PollInterval, at most 5 s): two or three GETs per order at low latency, about a dozen for an order
// stuck a minute in a backlog (polling must not become the load it measures), and never more than half an order's
// age between its end and our noticing. Latency comes from the server's timestamps, so polling late costs no accuracy.
public sealed class OrderTracker : IAsyncDisposable
{
    const int GetsInParallelPerPoller = 4;
    const double FirstPollCap = 500;

    readonly OrderApi _api;
    readonly TimeSpan _interval;
    readonly ConcurrentDictionary<Guid, Tracked>[] _shards;
    readonly Task[] _pollers;
    readonly CancellationTokenSource _stop = new();
    int _nextShard;

    // Orders a drain gave up on, with their customer: the books check asks about them once more at the end.
    readonly ConcurrentDictionary<Guid, Customer> _abandoned = new();

    public IReadOnlyDictionary<Guid, Customer> Abandoned => _abandoned;
    double _typicalMilliseconds = 100;

    public OrderTracker(OrderApi api, int pollers, TimeSpan interval)
    {
        _api = api;
        _interval = interval;
        _shards = [.. Enumerable.Range(0, pollers).Select(_ => new ConcurrentDictionary<Guid, Tracked>())];
        _pollers = [.. _shards.Select(shard => Task.Run(() => PollAsync(shard)))];
    }

    public int InFlight => _shards.Sum(shard => shard.Count);

    public Task<OrderOutcome> Track(Guid orderId, Guid productId, Customer customer, PhaseRecorder recorder, long postStarted, double postMilliseconds)
    {
        var tracked = new Tracked(orderId, productId, customer, recorder, postStarted, postMilliseconds)
        {
            NextPoll = postStarted + Ticks(Math.Min(Volatile.Read(ref _typicalMilliseconds), FirstPollCap)),
        };
        var shard = _shards[(int)((uint)Interlocked.Increment(ref _nextShard) % (uint)_shards.Length)];
        shard[orderId] = tracked;
        return tracked.Done.Task;
    }

    // Waits for every tracked order to end; what has not ended by then is recorded as Unfinished. Returns that count.
    public async Task<int> DrainAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var until = Stopwatch.GetTimestamp() + Ticks(timeout.TotalMilliseconds);
        while (InFlight > 0 && Stopwatch.GetTimestamp() < until)
            await Task.Delay(50, cancellationToken);

        var abandoned = 0;
        foreach (var shard in _shards)
        {
            foreach (var tracked in shard.Values)
            {
                if (!shard.TryRemove(tracked.OrderId, out _))
                    continue;
                var outcome = OrderOutcome.Unfinished(tracked.OrderId, tracked.ProductId, tracked.PostMilliseconds, tracked.Polls);
                _abandoned[tracked.OrderId] = tracked.Customer;
                tracked.Recorder.Record(outcome);
                tracked.Done.TrySetResult(outcome);
                abandoned++;
            }
        }

        return abandoned;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_pollers);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    async Task PollAsync(ConcurrentDictionary<Guid, Tracked> shard)
    {
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = GetsInParallelPerPoller, CancellationToken = _stop.Token };
        while (!_stop.IsCancellationRequested)
        {
            var now = Stopwatch.GetTimestamp();
            var due = shard.Values.Where(tracked => tracked.NextPoll <= now).ToList();
            if (due.Count > 0)
                await Parallel.ForEachAsync(due, parallel, (tracked, cancellationToken) => PollOneAsync(shard, tracked, cancellationToken));
            await Task.Delay(_interval, _stop.Token);
        }
    }

    async ValueTask PollOneAsync(ConcurrentDictionary<Guid, Tracked> shard, Tracked tracked, CancellationToken cancellationToken)
    {
        OrderStatus? status;
        try
        {
            status = await _api.GetAsync(tracked.Customer, tracked.OrderId, cancellationToken);
        }
        catch (HttpRequestException)
        {
            status = null;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            status = null;
        }

        tracked.Polls++;
        tracked.Recorder.Polled();
        var now = Stopwatch.GetTimestamp();
        if (status is null || !OrderStatus.IsTerminal(status.State))
        {
            var age = Stopwatch.GetElapsedTime(tracked.PostStarted, now).TotalMilliseconds;
            tracked.NextPoll = now + Ticks(Math.Clamp(age / 2, _interval.TotalMilliseconds, 5000));
            return;
        }

        if (!shard.TryRemove(tracked.OrderId, out _))
            return;
        var outcome = OrderOutcome.From(tracked.OrderId, tracked.ProductId, status, tracked.PostMilliseconds, tracked.Polls);
        if (double.IsFinite(outcome.EndToEndMilliseconds))
            Volatile.Write(ref _typicalMilliseconds, 0.9 * Volatile.Read(ref _typicalMilliseconds) + 0.1 * outcome.EndToEndMilliseconds);
        tracked.Recorder.Record(outcome);
        tracked.Done.TrySetResult(outcome);
    }

    static long Ticks(double milliseconds) => (long)(milliseconds / 1000 * Stopwatch.Frequency);

    sealed class Tracked(Guid orderId, Guid productId, Customer customer, PhaseRecorder recorder, long postStarted, double postMilliseconds)
    {
        public Guid OrderId { get; } = orderId;

        public Guid ProductId { get; } = productId;

        public Customer Customer { get; } = customer;

        public PhaseRecorder Recorder { get; } = recorder;

        public long PostStarted { get; } = postStarted;

        public double PostMilliseconds { get; } = postMilliseconds;

        public long NextPoll { get; set; }

        public int Polls { get; set; }

        public TaskCompletionSource<OrderOutcome> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
