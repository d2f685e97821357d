namespace GlobalCommerce.Platform.Messaging.Outbox;

// A message a web request (not a consumer) sends, stored in the request's own transaction and delivered by
// OutboxDelivery. The MessageId is fixed here, so a re-delivery is recognised by the receiver's inbox.
public class BusOutboxMessage
{
    public long Id { get; set; }

    public Guid MessageId { get; set; }

    public required string Destination { get; set; }

    public required string MessageType { get; set; }

    public required string Body { get; set; }

    // W3C traceparent of the request that stored it, so delivery continues the request's trace.
    public string? TraceParent { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
