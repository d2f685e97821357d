namespace GlobalCommerce.Consumers.Notifications;

// A message to a customer or a vendor, recorded once per subject and kind; a sender delivers it later.
public class OutboundMessage
{
    public Guid Id { get; set; }

    // What the message is about: the order, for a customer's; the reorder alert (its event id), for a vendor's.
    public Guid SubjectId { get; set; }

    public required string Kind { get; set; }

    public required string Channel { get; set; }

    public required string Recipient { get; set; }

    public required string Subject { get; set; }

    public required string Body { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
