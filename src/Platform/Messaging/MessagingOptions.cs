namespace GlobalCommerce.Platform.Messaging;

// Commerce:Messaging: how much every receive endpoint of a host takes on at once. Each message in hand holds a database
// connection and a transaction for most of its handling, and a host runs a dozen endpoints on the same cores: past a
// few messages per core, more concurrency only adds lock waits, connection-pool queueing and context switches, and the
// work takes longer, not less. Unset, both follow the machine's cores.
public sealed class MessagingOptions
{
    // Messages one endpoint handles at once, per host.
    public int ConcurrentMessageLimit
    {
        get => _concurrentMessageLimit ?? 4 * Environment.ProcessorCount;
        set => _concurrentMessageLimit = value;
    }

    // Messages the broker hands an endpoint ahead of its handlers (RabbitMQ's basic.qos), so the next is in memory when
    // a handler frees up. Beyond that they stay in the queue, where another worker process can take them.
    public int PrefetchCount
    {
        get => _prefetchCount ?? 2 * ConcurrentMessageLimit;
        set => _prefetchCount = value;
    }

    // Commerce:Messaging:Watchdog: on RabbitMQ, receive endpoints that lost their consumer at the broker (ConsumerWatchdog).
    public ConsumerWatchdogOptions Watchdog { get; set; } = new();

    int? _concurrentMessageLimit;
    int? _prefetchCount;
}
