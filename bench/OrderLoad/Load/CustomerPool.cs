using System.Collections.Concurrent;
using System.Diagnostics;
using GlobalCommerce.Bench.OrderLoad.Runs;

namespace GlobalCommerce.Bench.OrderLoad.Load;

// One customer per order, as real shoppers are: every order takes a customer nobody has ordered as yet, so the fraud
// rule's velocity count (orders by this customer in the last hour) stays at one and no per-customer limit is touched.
// Customers are signed up (register + log in, through the public API) between the phases, never inside a measured
// one: TopUpAsync before each phase creates as many as the phase may use. Should a measured phase still run out, its
// orders reuse customers that have ordered before (counted, and reported: the velocity count then grows again); the
// unmeasured warm-up signs up what it needs as it goes instead.
public sealed class CustomerPool(OrderApi api, int signupClients)
{
    readonly ConcurrentQueue<Customer> _fresh = new();
    readonly ConcurrentQueue<Customer> _used = new();

    public int Available => _fresh.Count;

    public long SignedUp => Interlocked.Read(ref _signedUp);

    public double SignupSeconds { get; private set; }

    long _signedUp;

    // A fresh customer, or null when none is left.
    public Customer? TakeFresh()
    {
        if (!_fresh.TryDequeue(out var customer))
            return null;
        _used.Enqueue(customer);
        return customer;
    }

    // A customer who has ordered before (round robin), for a measured phase that ran out of fresh ones.
    public Customer? TakeReused()
    {
        if (!_used.TryDequeue(out var customer))
            return null;
        _used.Enqueue(customer);
        return customer;
    }

    // Inline sign-up: only the warm-up does this, where nothing is measured.
    public async Task<Customer> SignUpOneAsync(CancellationToken cancellationToken)
    {
        var customer = await api.SignUpAsync(cancellationToken);
        Interlocked.Increment(ref _signedUp);
        _used.Enqueue(customer);
        return customer;
    }

    public async Task TopUpAsync(string mode, string phase, int wanted, TimeSpan progressInterval, CancellationToken cancellationToken)
    {
        var missing = wanted - _fresh.Count;
        if (missing <= 0)
            return;
        RunsConsole.Progress(mode, phase, $"signing up {missing} customers (register + log in) for the next phase; not measured");
        var clock = Stopwatch.StartNew();
        var created = 0;
        var lastReport = clock.Elapsed;
        await Task.WhenAll(Enumerable.Range(0, signupClients).Select(async _ =>
        {
            while (Interlocked.Increment(ref created) <= missing)
            {
                Customer? customer = null;
                for (var attempt = 1; customer is null; attempt++)
                {
                    try
                    {
                        customer = await api.SignUpAsync(cancellationToken);
                    }
                    catch (Exception exception) when (attempt < 5 && exception is OrderApiException or HttpRequestException
                        or TaskCanceledException && !cancellationToken.IsCancellationRequested)
                    {
                        await Task.Delay(200 * attempt, cancellationToken);
                    }
                }

                _fresh.Enqueue(customer);
                Interlocked.Increment(ref _signedUp);
                lock (_fresh)
                {
                    if (clock.Elapsed - lastReport >= progressInterval)
                    {
                        lastReport = clock.Elapsed;
                        RunsConsole.Progress(mode, phase, $"{clock.Elapsed.TotalSeconds,5:0.0}s signed up {Math.Min(Volatile.Read(ref created), missing)}/{missing} customers");
                    }
                }
            }
        }));
        SignupSeconds += clock.Elapsed.TotalSeconds;
        RunsConsole.Progress(mode, phase, $"{missing} customers signed up in {clock.Elapsed.TotalSeconds:0.0} s ({missing / clock.Elapsed.TotalSeconds:0}/s); {_fresh.Count} fresh customers ready");
    }
}
