using System.Diagnostics.Metrics;
using GlobalCommerce.Platform.Telemetry;

namespace GlobalCommerce.Sagas.Orders;

// The order flow's own instruments. Static because the state machine and its observer are built once per bus and
// carry no services; instruments cost nothing until a listener (the OpenTelemetry SDK, a test) enables them.
public static class OrderMetrics
{
    static readonly Meter Meter = new(CommerceTelemetry.MeterName);

    static readonly Histogram<double> StepDuration = Meter.CreateHistogram(
        "gc.order.step.duration",
        unit: "s",
        description: "Time an order spent in a saga state before leaving it",
        tags: null,
        // A step takes milliseconds when healthy and up to a few step timeouts when retried; the default buckets
        // (tuned for milliseconds) would put every healthy step in the first one.
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] });

    static readonly Counter<long> Submitted = Meter.CreateCounter<long>(
        "gc.orders.submitted",
        unit: "{order}",
        description: "Orders the API accepted");

    // Clamped at zero: the API and the worker stamping the times may run on hosts whose clocks disagree slightly.
    public static void RecordStep(string fromState, string toState, TimeSpan duration) =>
        StepDuration.Record(Math.Max(duration.TotalSeconds, 0),
            new KeyValuePair<string, object?>("gc.order.from_state", fromState),
            new KeyValuePair<string, object?>("gc.order.to_state", toState));

    public static void OrderSubmitted() => Submitted.Add(1);
}
