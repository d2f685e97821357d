using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Platform.Streams;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Analytics;

// analytics_db: what the analytics consumer group counted from the streams, and its checkpoints, leases and inbox.
public sealed class AnalyticsDbContext(DbContextOptions<AnalyticsDbContext> options) : DbContext(options)
{
    public DbSet<EventCount> EventCounts => Set<EventCount>();

    public DbSet<OrderFunnelDay> OrderFunnel => Set<OrderFunnelDay>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.AddStreamTables();
        var count = modelBuilder.Entity<EventCount>();
        count.ToTable("event_counts");
        count.HasKey(c => new { c.Stream, c.EventType, c.Hour });
        count.Property(c => c.Stream).HasMaxLength(64);
        count.Property(c => c.EventType).HasMaxLength(128);
        count.HasIndex(c => c.Hour);

        var funnel = modelBuilder.Entity<OrderFunnelDay>();
        funnel.ToTable("order_funnel");
        funnel.HasKey(f => f.Day);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder) =>
        configurationBuilder.ApplyProviderConventions(Database);
}

// How many facts of one type a stream carried in one UTC hour (by the time the fact was produced).
public class EventCount
{
    public required string Stream { get; set; }

    public required string EventType { get; set; }

    public DateTimeOffset Hour { get; set; }

    public long Count { get; set; }
}

// The order facts of one UTC day, by lifecycle stage: how many orders were created, confirmed, failed, cancelled and
// completed that day.
public class OrderFunnelDay
{
    public DateOnly Day { get; set; }

    public long Created { get; set; }

    public long Confirmed { get; set; }

    public long Failed { get; set; }

    public long Cancelled { get; set; }

    public long Completed { get; set; }
}
