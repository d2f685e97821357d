namespace GlobalCommerce.Consumers.Shipping;

public class Shipment
{
    public Guid OrderId { get; set; }

    public ShipmentStatus Status { get; set; }

    // Null on a tombstone: the order was cancelled before a label was ever printed.
    public string? Carrier { get; set; }

    public string? TrackingNumber { get; set; }

    public string? RecipientName { get; set; }

    public string? Line1 { get; set; }

    public string? Line2 { get; set; }

    public string? City { get; set; }

    public string? PostalCode { get; set; }

    public string? Country { get; set; }

    public int ItemCount { get; set; }

    public string? CancellationReason { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

public enum ShipmentStatus
{
    Created,
    Cancelled,
}
