namespace GlobalCommerce.Workers.Orders;

public sealed class SweeperOptions
{
    public const string Section = "Commerce:Sweeper";

    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    public int BatchSize { get; set; } = 200;

    // An accepted order with no saga after this long was never delivered (the API crashed between store and send).
    public TimeSpan OrphanAge { get; set; } = TimeSpan.FromSeconds(15);
}
