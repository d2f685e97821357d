namespace GlobalCommerce.Platform.Messaging.Outbox;

// One row per (message, consumer): the inbox. A redelivered message finds its row already consumed and is not
// handled again; the row also tracks how far the messages it produced have been delivered.
public class InboxState
{
    public long Id { get; set; }

    public Guid MessageId { get; set; }

    public Guid ConsumerId { get; set; }

    public DateTimeOffset Received { get; set; }

    public int ReceiveCount { get; set; }

    public DateTimeOffset? Consumed { get; set; }

    public DateTimeOffset? Delivered { get; set; }

    public long? LastSequenceNumber { get; set; }
}
