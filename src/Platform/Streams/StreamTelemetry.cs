using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace GlobalCommerce.Platform.Streams;

public static class StreamTelemetry
{
    public const string SourceName = "GlobalCommerce.Streams";

    public static readonly ActivitySource Source = new(SourceName);

    static readonly Meter Meter = new(Telemetry.CommerceTelemetry.MeterName);

    public static readonly Counter<long> Produced = Meter.CreateCounter<long>("commerce.stream.produced", "{event}", "Events handed to a stream backend");

    public static readonly Counter<long> Consumed = Meter.CreateCounter<long>("commerce.stream.consumed", "{event}", "Events a consumer group handled");

    public static readonly Counter<long> Checkpoints = Meter.CreateCounter<long>("commerce.stream.checkpoints", "{checkpoint}", "Read positions written");

    public static ActivityContext ParentOf(string? traceParent) =>
        traceParent is not null && ActivityContext.TryParse(traceParent, null, out var context) ? context : default;
}
