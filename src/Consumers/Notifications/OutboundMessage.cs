namespace GlobalCommerce.Consumers.Notifications;

// A message to a customer, recorded once per order and kind; a sender delivers it later.
public class OutboundMessage
{
    public Guid Id { get; set; }

    public Guid OrderId { get; set; }

    public required string Kind { get; set; }

    public required string Channel { get; set; }

    public required string Recipient { get; set; }

    public required string Subject { get; set; }

    public required string Body { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
