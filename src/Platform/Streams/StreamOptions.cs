namespace GlobalCommerce.Platform.Streams;

// Commerce:Streams. The backend follows Commerce:Mode unless set: the embedded log on the embedded default, RabbitMQ
// stream queues in the distributed mode; Azure Event Hubs only when chosen and given a connection.
public sealed class StreamOptions
{
    public const string Section = "Commerce:Streams";

    public StreamBackendKind? Backend { get; set; }

    public int Partitions { get; set; } = 8;

    // Events handed to a consumer group's handlers at once, per partition.
    public int BatchSize { get; set; } = 100;

    // How long a batch that is not full may wait for more events before it is handed over (MassTransit's batch
    // TimeLimit). Zero: handed over with whatever the read found, the lowest latency. A group whose cost is per batch
    // (one transaction, whatever its size) and whose readers are not waiting for it sets it per endpoint.
    public TimeSpan BatchTimeLimit { get; set; } = TimeSpan.Zero;

    // How long a reader waits for the first event of a batch before it looks at its lease and checkpoint again.
    public TimeSpan ReadWait { get; set; } = TimeSpan.FromMilliseconds(500);

    // The read position of a (group, partition) is written every CheckpointInterval or every CheckpointEvents events,
    // whichever comes first, and when the partition is let go (shutdown, rebalance).
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(30);

    public int CheckpointEvents { get; set; } = 1000;

    // A (group, partition) has one owner at a time. The owner renews every LeaseDuration / 3; another host takes it
    // over once it has not been renewed for LeaseDuration.
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    // Retention per stream; unset streams keep DefaultRetention (7 days in the distributed mode, 1 day on the embedded
    // default). analytics-events keeps 24 hours in both, as the founding document says.
    public Dictionary<string, TimeSpan> Retention { get; set; } = new(StringComparer.Ordinal);

    public TimeSpan? DefaultRetention { get; set; }

    // The stream outbox relay: how often a relay looks for committed events when no local commit woke it, and how many
    // it hands to the backend at once.
    public TimeSpan RelayPollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    public int RelayBatchSize { get; set; } = 500;

    // After a commit wakes it, the relay waits this long before it reads, so the events of the transactions committed
    // meanwhile go in the same hand-over (Kafka's linger.ms). Without it an order's six lifecycle facts, each committed
    // by its own transaction, were six reads, six produces and six deletes: a commit in the domain database and one on
    // the embedded stream file each. Zero: read at once.
    public TimeSpan RelayLinger { get; set; } = TimeSpan.FromMilliseconds(200);

    // How often a consumer group removes the inbox records (StreamInbox) of events no stream can hand out again:
    // received longer ago than the longest stream retention plus a day. Up to InboxPruneBatchSize rows per statement.
    public TimeSpan InboxPruneInterval { get; set; } = TimeSpan.FromMinutes(10);

    public int InboxPruneBatchSize { get; set; } = 5000;

    // The embedded backend's file (default: DataDirectory/streams.db).
    public string? EmbeddedPath { get; set; }

    // The embedded backend keeps each partition's newest events in memory as well (at most this many per partition), so
    // the consumer groups that keep up with a partition read them from there instead of the file; 0 turns it off.
    public int EmbeddedTailEvents { get; set; } = 2048;

    // RabbitMQ stream queues: the broker (defaults to Commerce:RabbitMqUrl).
    public string? RabbitMqUrl { get; set; }

    // Azure Event Hubs: a namespace connection string; each stream is an event hub of the same name.
    public string? EventHubsConnection { get; set; }

    public TimeSpan RetentionOf(string stream, bool embedded)
    {
        if (Retention.TryGetValue(stream, out var configured))
            return configured;
        if (stream == StreamNames.AnalyticsEvents)
            return TimeSpan.FromHours(24);
        return DefaultRetention ?? (embedded ? TimeSpan.FromDays(1) : TimeSpan.FromDays(7));
    }

    public static StreamOptions From(Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        var options = new StreamOptions();
        Microsoft.Extensions.Configuration.ConfigurationBinder.Bind(configuration.GetSection(Section), options);
        return options;
    }
}

public enum StreamBackendKind
{
    // In-process partitions persisted in a local SQLite file (DataDirectory/streams.db): the embedded default.
    Embedded,
    RabbitMqStreams,
    EventHubs,
}
