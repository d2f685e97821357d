namespace GlobalCommerce.Platform.Messaging.Outbox;

// One row per (message, consumer): the inbox and the outbox in one. A redelivered message finds its row already
// consumed and is not handled again. Outgoing holds every message the handler produced (JSON, written in the
// handler's transaction) until they are known to be delivered; then Delivered is set and Outgoing cleared.
public class InboxState
{
    public long Id { get; set; }

    public Guid MessageId { get; set; }

    public Guid ConsumerId { get; set; }

    public DateTimeOffset Received { get; set; }

    public int ReceiveCount { get; set; }

    public DateTimeOffset? Consumed { get; set; }

    public DateTimeOffset? Delivered { get; set; }

    public string? Outgoing { get; set; }
}
