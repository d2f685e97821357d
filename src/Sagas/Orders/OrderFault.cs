namespace GlobalCommerce.Sagas.Orders;

// A command for an order that still failed after its retries (MassTransit's Fault<T>): what support staff see under
// "faults" on the order, whether or not the saga could act on it.
public class OrderFault
{
    public long Id { get; set; }

    public Guid FaultId { get; set; }

    public Guid OrderId { get; set; }

    // The command that faulted, e.g. ReserveInventory.
    public required string MessageType { get; set; }

    public Guid? FaultedMessageId { get; set; }

    public required string ExceptionType { get; set; }

    public required string ExceptionMessage { get; set; }

    // The receive endpoint the command failed on; its _error queue holds the message.
    public string? Endpoint { get; set; }

    public DateTimeOffset At { get; set; }
}
