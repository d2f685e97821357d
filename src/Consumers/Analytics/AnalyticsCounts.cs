using GlobalCommerce.Platform.Persistence;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Analytics;

public enum FunnelStage
{
    Created,
    Confirmed,
    Failed,
    Cancelled,
    Completed,
}

// Adds to the counters in one statement each (insert, or add to the row that is there), the same SQL on PostgreSQL and
// SQLite: partitions read in parallel add to the same hour's row, and an upsert neither loses an update nor needs a
// retry. Callers add keys in a fixed order (hours ascending, the funnel last), so two transactions never wait on each
// other's rows the other way round.
public static class AnalyticsCounts
{
    public static Task AddEventsAsync(AnalyticsDbContext db, string stream, string eventType, DateTimeOffset hour, long count,
        CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlRawAsync(
            "INSERT INTO event_counts (\"Stream\", \"EventType\", \"Hour\", \"Count\") VALUES ({0}, {1}, {2}, {3}) " +
            "ON CONFLICT (\"Stream\", \"EventType\", \"Hour\") DO UPDATE SET \"Count\" = event_counts.\"Count\" + excluded.\"Count\"",
            [stream, eventType, Stored(db, hour), count], cancellationToken);

    public static Task AddToFunnelAsync(AnalyticsDbContext db, DateOnly day, FunnelStage stage, long count, CancellationToken cancellationToken)
    {
        long Of(FunnelStage column) => column == stage ? count : 0;
        return db.Database.ExecuteSqlRawAsync(
            "INSERT INTO order_funnel (\"Day\", \"Created\", \"Confirmed\", \"Failed\", \"Cancelled\", \"Completed\") VALUES ({0}, {1}, {2}, {3}, {4}, {5}) " +
            "ON CONFLICT (\"Day\") DO UPDATE SET \"Created\" = order_funnel.\"Created\" + excluded.\"Created\", " +
            "\"Confirmed\" = order_funnel.\"Confirmed\" + excluded.\"Confirmed\", \"Failed\" = order_funnel.\"Failed\" + excluded.\"Failed\", " +
            "\"Cancelled\" = order_funnel.\"Cancelled\" + excluded.\"Cancelled\", \"Completed\" = order_funnel.\"Completed\" + excluded.\"Completed\"",
            [day, Of(FunnelStage.Created), Of(FunnelStage.Confirmed), Of(FunnelStage.Failed), Of(FunnelStage.Cancelled), Of(FunnelStage.Completed)],
            cancellationToken);
    }

    public static DateTimeOffset HourOf(DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        return new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero);
    }

    // Raw SQL gets parameters as they are: on SQLite a DateTimeOffset is stored as the model stores it (binary ticks).
    static object Stored(DbContext db, DateTimeOffset value) => db.Database.UsesSqlite() ? SqliteTime.ToStored(value) : value;
}
