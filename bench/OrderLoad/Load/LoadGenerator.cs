using System.Diagnostics;

namespace GlobalCommerce.Bench.OrderLoad.Load;

// The two ways of offering load. Open loop sends on a fixed schedule whatever the answers (a slow platform then
// faces a growing backlog, as it would from real customers) until the backlog holds more than --max-backlog worth of
// orders: by then the answer to "does it sustain this rate" is no, and a longer backlog would only take minutes to
// drain and spill into the next phase. Closed loop keeps N customers busy, each submitting its next order only once
// its previous one has ended, which finds the maximum the platform sustains.
public sealed class LoadGenerator(OrderApi api, OrderTracker tracker, ProductPicker products, CustomerPool customers, BenchOptions options)
{
    // maxBacklog null: never stop early (the overload phase, which measures what is still completed).
    public async Task OpenLoopAsync(PhaseRecorder recorder, double perSecond, TimeSpan duration, TimeSpan? maxBacklog, CancellationToken cancellationToken)
    {
        var posts = new List<Task>();
        var outstanding = 0;
        long sent = 0;
        var backlogLimit = maxBacklog is { } backlog ? (long)Math.Max(perSecond * backlog.TotalSeconds, 1) : long.MaxValue;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            var now = clock.Elapsed.TotalMilliseconds;
            if (recorder.InFlight + Volatile.Read(ref outstanding) > backlogLimit)
            {
                recorder.Close($"overloaded: stopped sending after {now / 1000:0.0} s with {recorder.InFlight + Volatile.Read(ref outstanding)} orders unfinished");
                break;
            }

            var due = Math.Min((long)(now / 1000 * perSecond) + 1, (long)(duration.TotalSeconds * perSecond));
            for (; sent < due; sent++)
            {
                if (Volatile.Read(ref outstanding) >= options.MaxOutstandingPosts)
                {
                    recorder.NotSentOne();
                    continue;
                }

                recorder.Lag(now - sent * 1000 / perSecond);
                Interlocked.Increment(ref outstanding);
                posts.Add(PostAsync());
            }

            await Task.Delay(2, cancellationToken);
        }

        recorder.Close();
        await Task.WhenAll(posts);

        async Task PostAsync()
        {
            try
            {
                await SubmitAsync(recorder, cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref outstanding);
            }
        }
    }

    // A client gives up waiting on an order after the drain timeout (it stays tracked, and ends Unfinished), so a
    // platform that loses orders slows the phase down but cannot hang it.
    // Runs for the duration, or until stop is signalled (the warm-up stops once the JIT has settled).
    public async Task ClosedLoopAsync(PhaseRecorder recorder, int clients, TimeSpan duration, CancellationToken cancellationToken,
        CancellationToken stop = default)
    {
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            while (true)
            {
                if (clock.Elapsed >= duration || stop.IsCancellationRequested)
                {
                    recorder.Close();
                    break;
                }

                var ended = await SubmitAsync(recorder, cancellationToken);
                if (ended is null)
                {
                    await Task.Delay(100, cancellationToken);
                    continue;
                }

                try
                {
                    await ended.WaitAsync(options.DrainTimeout, cancellationToken);
                }
                catch (TimeoutException)
                {
                }
            }
        }));
    }

    // Null when the order was not accepted (the reason is recorded).
    async Task<Task<OrderOutcome>?> SubmitAsync(PhaseRecorder recorder, CancellationToken cancellationToken)
    {
        if (products.Take() is not { } productId)
        {
            recorder.PostFailed("demo stock used up (shorten --duration)");
            return null;
        }

        var customer = customers.TakeFresh();
        if (customer is null && recorder.SignUpInline)
            customer = await customers.SignUpOneAsync(cancellationToken);
        if (customer is null)
        {
            customer = customers.TakeReused() ?? throw new InvalidOperationException("no customer signed up at all");
            recorder.CustomerReused();
        }

        recorder.Submitting();
        var started = Stopwatch.GetTimestamp();
        try
        {
            var orderId = await api.SubmitAsync(customer, productId, cancellationToken);
            var milliseconds = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            recorder.AcceptedOne();
            return tracker.Track(orderId, productId, customer, recorder, started, milliseconds);
        }
        catch (OrderRefusedException refused)
        {
            // Shed at the door: the product unit was not taken.
            products.Return(productId);
            recorder.ShedOne(refused.Status);
        }
        catch (OrderApiException exception)
        {
            recorder.PostFailed(exception.Message);
        }
        catch (HttpRequestException exception)
        {
            recorder.PostFailed($"HTTP {exception.HttpRequestError}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            recorder.PostFailed("POST timed out");
        }

        return null;
    }
}
