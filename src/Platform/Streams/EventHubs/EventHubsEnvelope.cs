using System.Globalization;
using Azure.Messaging.EventHubs;

namespace GlobalCommerce.Platform.Streams.EventHubs;

// How a stream event travels on Event Hubs, both ways. The body is the event's JSON as the producer wrote it; what the
// engine needs besides (type, key, id, time, trace) rides in application properties, so any Event Hubs reader can see
// it. Offsets are sequence numbers: the service numbers each partition's events 0, 1, 2, … and a reader can start at
// any of them, which is what a checkpoint (the next offset to read) needs.
public static class EventHubsEnvelope
{
    public const string ContentType = "application/json";

    public const string MessageTypeProperty = "message-type";

    public const string PartitionKeyProperty = "partition-key";

    public const string EventIdProperty = "event-id";

    // Unix milliseconds: when the producer made the event (the service's EnqueuedTime is when it arrived).
    public const string TimestampProperty = "timestamp";

    // The SDK's tracing reads and writes Diagnostic-Id (a W3C traceparent, added only when absent); OpenTelemetry
    // propagators look for traceparent. Both carry the producer's span so a reader's span joins the same trace.
    public const string DiagnosticIdProperty = "Diagnostic-Id";

    public const string TraceParentProperty = "traceparent";

    public static EventData ToEventData(StreamRecord record)
    {
        var data = new EventData(record.Body)
        {
            MessageId = record.EventId.ToString("D"),
            ContentType = ContentType,
        };
        data.Properties[MessageTypeProperty] = record.MessageType;
        data.Properties[PartitionKeyProperty] = record.PartitionKey;
        data.Properties[EventIdProperty] = record.EventId.ToString("D");
        data.Properties[TimestampProperty] = record.Timestamp.ToUnixTimeMilliseconds();
        if (record.TraceParent is { Length: > 0 } trace)
        {
            data.Properties[DiagnosticIdProperty] = trace;
            data.Properties[TraceParentProperty] = trace;
        }

        return data;
    }

    // An event read from partition `partition` of hub `stream`. Events another producer put on the hub (without these
    // properties) get an empty type, which no consumer group handles, so they are checkpointed past.
    public static StreamEnvelope ToEnvelope(EventData data, string stream, int partition)
    {
        ArgumentNullException.ThrowIfNull(data);
        var eventId = Guid.TryParse(data.MessageId, out var id) || Guid.TryParse(Text(data, EventIdProperty), out id) ? id : Guid.Empty;
        var timestamp = data.Properties.TryGetValue(TimestampProperty, out var value) ? TimeOf(value) ?? data.EnqueuedTime : data.EnqueuedTime;
        return new StreamEnvelope(
            stream,
            partition,
            data.SequenceNumber,
            eventId,
            data.PartitionKey ?? Text(data, PartitionKeyProperty) ?? "",
            Text(data, MessageTypeProperty) ?? "",
            timestamp,
            data.EventBody.ToArray(),
            Text(data, TraceParentProperty) ?? Text(data, DiagnosticIdProperty));
    }

    // Event Hubs names partitions "0" … "n-1"; the engine numbers them.
    public static int PartitionNumber(string partitionId) =>
        int.TryParse(partitionId, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new FormatException($"The Event Hubs partition id '{partitionId}' is not a number; streams expect partitions 0 to n-1");

    public static string PartitionId(int partition) => partition.ToString(CultureInfo.InvariantCulture);

    static string? Text(EventData data, string property) =>
        data.Properties.TryGetValue(property, out var value) && value is not null ? Convert.ToString(value, CultureInfo.InvariantCulture) : null;

    static DateTimeOffset? TimeOf(object? value) => value switch
    {
        long ms => DateTimeOffset.FromUnixTimeMilliseconds(ms),
        int ms => DateTimeOffset.FromUnixTimeMilliseconds(ms),
        DateTimeOffset time => time,
        _ => null,
    };
}
