namespace GlobalCommerce.Consumers.Inventory;

public class StockItem
{
    public Guid ProductId { get; set; }

    public int OnHand { get; set; }

    public int Reserved { get; set; }

    // What shoppers can still buy. Computed by the database, so queries can filter and sort on it.
    public int Available { get; private set; }
}
