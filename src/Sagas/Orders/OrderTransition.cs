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
}
