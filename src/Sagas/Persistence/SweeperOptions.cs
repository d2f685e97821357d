namespace GlobalCommerce.Sagas.Persistence;

// One setting for every saga's deadline sweeper.
public sealed class SweeperOptions
{
    public const string Section = "Commerce:Sweeper";

    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    public int BatchSize { get; set; } = 200;

    // An expiry the saga has not handled yet is usually still queued in front of it, not lost: publishing it again on
    // every tick only lengthens that queue. So a deadline's expiry is published again only after this long (unset: the
    // larger of 10 s and two ticks), and only if the saga still holds that deadline.
    public TimeSpan? RepublishInterval { get; set; }

    public TimeSpan RepublishAfter => RepublishInterval ?? Max(TimeSpan.FromSeconds(10), 2 * Interval);

    // A queue's observed wait postpones deadlines only while it was seen this recently: once its consumer stops, its
    // backlog no longer excuses anything and the deadlines fire.
    public TimeSpan QueueWaitWindow { get; set; } = TimeSpan.FromSeconds(15);

    static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
