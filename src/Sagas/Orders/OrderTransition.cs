namespace GlobalCommerce.Sagas.Orders;

public class OrderTransition
{
    public long Id { get; set; }

    public Guid OrderId { get; set; }

    public required string From { get; set; }

    public required string To { get; set; }

    public required string Event { get; set; }

    public DateTimeOffset At { get; set; }

    public Guid? MessageId { get; set; }

    public string? Detail { get; set; }

    // The message that caused the step, as JSON (support staff read it in the order's timeline).
    public string? Message { get; set; }

    // The saga's data right after the step, as JSON (OrderSnapshot); the timeline diffs consecutive snapshots.
    public string? Snapshot { get; set; }
}
