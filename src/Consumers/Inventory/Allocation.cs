namespace GlobalCommerce.Consumers.Inventory;

// The stock held for one order. Every order that ever reached inventory has exactly one row, whatever its fate,
// so a redelivered or late command finds its answer here instead of touching stock again.
public class Allocation
{
    public Guid OrderId { get; set; }

    public AllocationStatus Status { get; set; }

    public string? Reason { get; set; }

    public List<Guid> UnavailableProductIds { get; set; } = [];

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public List<AllocationLine> Lines { get; set; } = [];
}

public class AllocationLine
{
    public Guid OrderId { get; set; }

    public Guid ProductId { get; set; }

    public int Quantity { get; set; }
}

public enum AllocationStatus
{
    Reserved,
    Committed,
    Released,
    Rejected,
}
