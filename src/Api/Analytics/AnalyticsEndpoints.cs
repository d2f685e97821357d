using System.Globalization;
using GlobalCommerce.Api.Identity;
using GlobalCommerce.Api.Problems;
using GlobalCommerce.Consumers.Analytics;
using GlobalCommerce.Platform;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Api.Analytics;

public sealed record EventTypeCount(string Stream, string EventType, long Count);

public sealed record HourlyEventCount(string Stream, string EventType, DateTimeOffset Hour, long Count);

public sealed record OrderFunnel(long Created, long Confirmed, long Failed, long Cancelled, long Completed);

public sealed record DailyOrderFunnel(DateOnly Day, long Created, long Confirmed, long Failed, long Cancelled, long Completed);

// From the start of the first UTC day of the window until now: the facts per stream and type, the order funnel over the
// window and per day, and the hourly counts they are summed from.
public sealed record AnalyticsSummary(DateTimeOffset From, DateTimeOffset To, IReadOnlyList<EventTypeCount> Events, OrderFunnel Orders,
    IReadOnlyList<DailyOrderFunnel> Days, IReadOnlyList<HourlyEventCount> Hours);

// What the analytics consumer group counted from the streams, for support and admin staff. Read from analytics_db,
// wherever the group runs; counts trail the facts by the streams' latency (a relay pass and a read, typically well
// under a second).
public static class AnalyticsEndpoints
{
    public const int DefaultDays = 7;
    public const int MaxDays = 90;

    public static IServiceCollection AddAnalyticsSummary(this IServiceCollection services, CommerceOptions options) =>
        services.AddAnalyticsDatabase(options);

    public static IEndpointRouteBuilder MapAnalytics(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/analytics/summary", SummaryAsync).WithTags("Analytics").WithName("GetAnalyticsSummary")
            .RequireAuthorization(Policies.Staff)
            .WithSummary("Facts counted from order-, payment-, inventory- and analytics-events, and the order funnel (support and admin)")
            .WithDescription($"?days= (1 to {MaxDays}, default {DefaultDays}): the UTC days counted back from today, today included.")
            .Produces<AnalyticsSummary>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        return app;
    }

    static async Task<IResult> SummaryAsync(string? days, AnalyticsDbContext analytics, TimeProvider clock, CancellationToken cancellationToken)
    {
        var window = DefaultDays;
        if (days is not null && (!int.TryParse(days, NumberStyles.None, CultureInfo.InvariantCulture, out window) || window is < 1 or > MaxDays))
            return ProblemResults.Validation(new Dictionary<string, string[]> { ["days"] = [$"A whole number from 1 to {MaxDays}."] });

        var now = clock.GetUtcNow();
        var firstDay = DateOnly.FromDateTime(now.UtcDateTime).AddDays(1 - window);
        var from = new DateTimeOffset(firstDay.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var hours = await analytics.EventCounts.AsNoTracking().Where(c => c.Hour >= from).ToListAsync(cancellationToken);
        var funnel = await analytics.OrderFunnel.AsNoTracking().Where(f => f.Day >= firstDay).OrderBy(f => f.Day).ToListAsync(cancellationToken);

        var events = hours.GroupBy(c => (c.Stream, c.EventType)).OrderBy(g => g.Key.Stream, StringComparer.Ordinal).ThenBy(g => g.Key.EventType, StringComparer.Ordinal)
            .Select(g => new EventTypeCount(g.Key.Stream, g.Key.EventType, g.Sum(c => c.Count))).ToList();
        var orders = new OrderFunnel(funnel.Sum(f => f.Created), funnel.Sum(f => f.Confirmed), funnel.Sum(f => f.Failed), funnel.Sum(f => f.Cancelled),
            funnel.Sum(f => f.Completed));
        return Results.Ok(new AnalyticsSummary(from, now, events, orders,
            [.. funnel.Select(f => new DailyOrderFunnel(f.Day, f.Created, f.Confirmed, f.Failed, f.Cancelled, f.Completed))],
            [.. hours.OrderBy(c => c.Hour).ThenBy(c => c.Stream, StringComparer.Ordinal).ThenBy(c => c.EventType, StringComparer.Ordinal)
                .Select(c => new HourlyEventCount(c.Stream, c.EventType, c.Hour, c.Count))]));
    }
}
