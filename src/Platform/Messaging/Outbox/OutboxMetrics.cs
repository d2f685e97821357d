using System.Diagnostics.Metrics;
using GlobalCommerce.Platform.Telemetry;

namespace GlobalCommerce.Platform.Messaging.Outbox;

// Outbox lag: how long a stored message waited between the commit that wrote it and its hand-over to the transport.
// Healthy it is milliseconds; a broker outage or a stuck delivery service shows up here before anywhere else.
public static class OutboxMetrics
{
    public const string DeliveryLag = "gc.outbox.delivery.lag";

    static readonly Meter Meter = new(CommerceTelemetry.MeterName);

    static readonly Histogram<double> Lag = Meter.CreateHistogram(
        DeliveryLag,
        unit: "s",
        description: "Time from storing an outbox message to sending it",
        tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });

    // outbox: "bus" (the API's requests) or "consume" (sagas and consumers); database: the domain's DbContext.
    public static void RecordDelivered(string outbox, string database, TimeSpan lag) =>
        Lag.Record(Math.Max(lag.TotalSeconds, 0),
            new KeyValuePair<string, object?>("gc.outbox", outbox),
            new KeyValuePair<string, object?>("gc.outbox.database", database));
}
