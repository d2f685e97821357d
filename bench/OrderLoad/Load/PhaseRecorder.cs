using System.Collections.Concurrent;
using GlobalCommerce.Bench.OrderLoad.Measurement;

namespace GlobalCommerce.Bench.OrderLoad.Load;

// Everything one phase observed from the client side; thread-safe, written by senders and pollers. The load window
// runs from construction until the generator stops starting orders (Close); throughput and cores are measured in it.
public sealed class PhaseRecorder(string name, CpuMonitor cpu, bool signUpInline = false)
{
    readonly Lock _window = new();
    readonly ConcurrentQueue<double> _generatorLag = new();
    readonly ConcurrentQueue<OrderOutcome> _outcomes = new();
    readonly ConcurrentDictionary<string, int> _postErrors = new(StringComparer.Ordinal);
    long _submitted;
    long _accepted;
    long _notSent;
    long _ended;
    long _completed;
    long _unfinished;
    long _polls;
    long _shed503;
    long _shed429;
    long _customersReused;

    // Unmeasured phases (the warm-up) sign up a customer inline when none is ready.
    public bool SignUpInline { get; } = signUpInline;

    public string Name { get; } = name;

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    public CpuSample StartCpu { get; } = cpu.Sample();

    public DateTimeOffset? EndedAt { get; private set; }

    public CpuSample? EndCpu { get; private set; }

    // Why the window closed early, if it did.
    public string? StoppedEarly { get; private set; }

    public void Close(string? stoppedEarly = null)
    {
        lock (_window)
        {
            if (EndedAt is not null)
                return;
            EndCpu = cpu.Sample();
            EndedAt = DateTimeOffset.UtcNow;
            StoppedEarly = stoppedEarly;
        }
    }

    public long Submitted => Interlocked.Read(ref _submitted);

    public long Accepted => Interlocked.Read(ref _accepted);

    public long NotSent => Interlocked.Read(ref _notSent);

    public long Completed => Interlocked.Read(ref _completed);

    public long Ended => Interlocked.Read(ref _ended);

    public long Unfinished => Interlocked.Read(ref _unfinished);

    public long Failed => Ended - Completed - Unfinished;

    public long InFlight => Accepted - Ended;

    public long Polls => Interlocked.Read(ref _polls);

    public long PostErrors => _postErrors.Values.Sum();

    // Refused at the door (503 admission control, 429 rate limit): shed, not failed; nothing was stored.
    public long Shed503 => Interlocked.Read(ref _shed503);

    public long Shed429 => Interlocked.Read(ref _shed429);

    public long Shed => Shed503 + Shed429;

    public long CustomersReused => Interlocked.Read(ref _customersReused);

    public void ShedOne(int status)
    {
        if (status == 429)
            Interlocked.Increment(ref _shed429);
        else
            Interlocked.Increment(ref _shed503);
    }

    public void CustomerReused() => Interlocked.Increment(ref _customersReused);

    public IReadOnlyDictionary<string, int> PostErrorReasons => _postErrors;

    public IReadOnlyCollection<OrderOutcome> Outcomes => _outcomes;

    public IReadOnlyCollection<double> GeneratorLag => _generatorLag;

    public void Submitting() => Interlocked.Increment(ref _submitted);

    public void AcceptedOne() => Interlocked.Increment(ref _accepted);

    public void PostFailed(string reason) => _postErrors.AddOrUpdate(reason, 1, (_, count) => count + 1);

    public void NotSentOne() => Interlocked.Increment(ref _notSent);

    public void Lag(double milliseconds) => _generatorLag.Enqueue(milliseconds);

    public void Polled() => Interlocked.Increment(ref _polls);

    public void Record(OrderOutcome outcome)
    {
        _outcomes.Enqueue(outcome);
        if (outcome.IsCompleted)
            Interlocked.Increment(ref _completed);
        else if (outcome.State == OrderOutcome.UnfinishedState)
            Interlocked.Increment(ref _unfinished);
        Interlocked.Increment(ref _ended);
    }
}
