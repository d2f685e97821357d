namespace GlobalCommerce.Sagas.Orders;

// What support staff did with an order, and every time they looked at one. Written by the support console in the
// same transaction as the command it sends, so an action is never sent unrecorded nor recorded unsent.
public class OrderAuditEntry
{
    public long Id { get; set; }

    public Guid OrderId { get; set; }

    public DateTimeOffset At { get; set; }

    public required string Actor { get; set; }

    public required string Role { get; set; }

    // Viewed, Cancel, Retry, Approve, Reject.
    public required string Action { get; set; }

    public string? Reason { get; set; }

    // The commands as sent (type and destination), for actions.
    public string? Commands { get; set; }

    // The MessageId of the command to the saga: the transition it caused carries the same id.
    public Guid? CommandMessageId { get; set; }

    // Sent, Refused: ..., or Viewed.
    public required string Outcome { get; set; }
}
