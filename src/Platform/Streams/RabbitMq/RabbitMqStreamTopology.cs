using System.Globalization;

namespace GlobalCommerce.Platform.Streams.RabbitMq;

// How a stream maps onto RabbitMQ: an x-consistent-hash exchange named after the stream, routing each partition key to
// one of the stream queues "{stream}.{partition}", all bound with the same weight.
public static class RabbitMqStreamTopology
{
    public const string ExchangeType = "x-consistent-hash";

    // The binding key of a consistent-hash exchange is the queue's weight (its share of the hash ring).
    public const string PartitionWeight = "1";

    // Retention drops whole segments, and only once a segment is closed: with the broker's 500 MB default a quiet
    // stream would keep everything for ever whatever its x-max-age. 50 MB segments let retention bite on modest volumes
    // without many small files on busy ones.
    public const long MaxSegmentSizeBytes = 50_000_000;

    // Stream queues need a prefetch (basic.qos) to deliver at all; a reader asks for a couple of batches at a time.
    public static ushort Prefetch(int batchSize) => (ushort)Math.Clamp(Math.Max(2L * batchSize, 200), 1, ushort.MaxValue);

    public static string QueueName(string stream, int partition) => string.Create(CultureInfo.InvariantCulture, $"{stream}.{partition}");

    public static Dictionary<string, object?> QueueArguments(StreamDefinition stream) => new(StringComparer.Ordinal)
    {
        ["x-queue-type"] = "stream",
        ["x-max-age"] = MaxAge(stream.Retention),
        ["x-stream-max-segment-size-bytes"] = MaxSegmentSizeBytes,
    };

    // RabbitMQ's x-max-age syntax (a number and one of Y, M, D, h, m, s), in the largest unit that is exact, so one
    // retention always gives the same string: the broker compares the declared argument as text when a queue is
    // declared again. 7 days is "7D", 24 hours "1D", 90 minutes "90m"; months and years are not whole days, never used.
    public static string MaxAge(TimeSpan retention)
    {
        if (retention <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(retention), retention, "A stream's retention must be positive.");
        var seconds = (long)Math.Ceiling(retention.TotalSeconds);
        return seconds switch
        {
            _ when seconds % 86_400 == 0 => Format(seconds / 86_400, 'D'),
            _ when seconds % 3_600 == 0 => Format(seconds / 3_600, 'h'),
            _ when seconds % 60 == 0 => Format(seconds / 60, 'm'),
            _ => Format(seconds, 's'),
        };

        static string Format(long value, char unit) => string.Create(CultureInfo.InvariantCulture, $"{value}{unit}");
    }
}

// The headers a produced event carries besides its body (MessageId and Type repeat the event id and type as AMQP
// properties, for tools that show those).
public static class RabbitMqStreamHeaders
{
    public const string PartitionKey = "gc-partition-key";
    public const string MessageType = "gc-message-type";
    public const string EventId = "gc-event-id";

    // Unix milliseconds (the AMQP timestamp property has whole seconds only).
    public const string Timestamp = "gc-timestamp";

    public const string TraceParent = "traceparent";

    // Set by the broker on every delivery from a stream queue: the event's offset in its partition.
    public const string StreamOffset = "x-stream-offset";
}
