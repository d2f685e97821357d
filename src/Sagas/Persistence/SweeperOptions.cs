namespace GlobalCommerce.Sagas.Persistence;

// One setting for every saga's deadline sweeper.
public sealed class SweeperOptions
{
    public const string Section = "Commerce:Sweeper";

    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    public int BatchSize { get; set; } = 200;
}
