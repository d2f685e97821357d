namespace GlobalCommerce.Workers.Orders;

public sealed class SweeperOptions
{
    public const string Section = "Commerce:Sweeper";

    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    public int BatchSize { get; set; } = 200;
}
