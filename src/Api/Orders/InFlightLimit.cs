namespace GlobalCommerce.Api.Orders;

// How many orders may be in flight, adapted to what the platform finishes in good time. A fixed limit cannot be right for
// every machine: 250 on two cores queued 16 s of work behind admission, so past capacity every admitted order waited
// that long and goodput halved (docs/benchmarks.md). This one moves only while submissions are being refused, once a
// second: if the median order in flight has waited more than half the target latency (in a queue that drains in order,
// the median has waited about half of what an order takes), it shrinks by a fifth; otherwise it grows by a quarter.
// Within [MinInFlight, MaxInFlight]; with AdaptiveLimit off it is MaxInFlight, as before.
//
// What it cannot tell apart: orders that are slow for another reason than queueing (a gateway that takes seconds) look
// like a queue too, and keep the limit near MinInFlight while they last. Size MinInFlight for that, or turn it off.
public sealed class InFlightLimit(OrderAdmissionOptions options, TimeProvider clock)
{
    const double Shrink = 0.8;
    const double Grow = 1.25;
    static readonly TimeSpan AdjustEvery = TimeSpan.FromSeconds(1);

    readonly Lock _gate = new();
    double _limit = Math.Clamp(options.MinInFlight, 1, Math.Max(options.MaxInFlight, 1));
    DateTimeOffset _adjustedAt = clock.GetUtcNow();
    bool _refused;

    public bool Adaptive => options.AdaptiveLimit && options.MaxInFlight > 0;

    public int Current
    {
        get
        {
            if (!Adaptive)
                return options.MaxInFlight;
            lock (_gate)
                return (int)_limit;
        }
    }

    public void Refused()
    {
        lock (_gate)
            _refused = true;
    }

    // Whether the next count should measure how long the orders in flight have waited: a second since the last
    // adjustment, with submissions refused meanwhile (the limit bound). Nothing to measure otherwise.
    public bool WantsWait
    {
        get
        {
            if (!Adaptive)
                return false;
            lock (_gate)
                return _refused && clock.GetUtcNow() - _adjustedAt >= AdjustEvery;
        }
    }

    // medianWait: how long the median order in flight has waited so far, when WantsWait asked for it.
    public void Observe(TimeSpan medianWait)
    {
        lock (_gate)
        {
            if (!_refused || clock.GetUtcNow() - _adjustedAt < AdjustEvery)
                return;
            var max = Math.Max(options.MaxInFlight, 1);
            var min = Math.Clamp(options.MinInFlight, 1, max);
            _limit = medianWait > options.TargetLatency / 2 ? Math.Max(min, _limit * Shrink) : Math.Min(max, _limit * Grow + 1);
            _refused = false;
            _adjustedAt = clock.GetUtcNow();
        }
    }
}
