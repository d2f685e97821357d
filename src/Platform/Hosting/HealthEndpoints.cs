using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GlobalCommerce.Platform.Hosting;

public static class HealthEndpoints
{
    // Live: the process answers, and the checks tagged "live" pass (restart it if not): a queue of the host that lost
    // its consumer at the broker (ConsumerWatchdog) is mended by a restart. Ready: every registered check, including
    // the bus, passes (send it traffic only then).
    public static IEndpointRouteBuilder MapCommerceHealthChecks(this IEndpointRouteBuilder app)
    {
        // Anonymous even where the host requires authentication by default: probes carry no credentials.
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = check => check.Tags.Contains("live") }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { ResponseWriter = WriteReportAsync }).AllowAnonymous();
        return app;
    }

    // Names, statuses and the checks' own descriptions. A check that threw gets its exception's message as description
    // from the health service; that text may name servers or paths, and the report is served unauthenticated.
    static Task WriteReportAsync(HttpContext http, HealthReport report) =>
        http.Response.WriteAsJsonAsync(new ReadinessReport(
            report.Status.ToString(),
            Math.Round(report.TotalDuration.TotalMilliseconds, 1),
            [.. report.Entries.Select(entry => new CheckReport(
                entry.Key,
                entry.Value.Status.ToString(),
                entry.Value.Description == entry.Value.Exception?.Message ? null : entry.Value.Description,
                Math.Round(entry.Value.Duration.TotalMilliseconds, 1)))]));

    sealed record ReadinessReport(string Status, double DurationMs, IReadOnlyList<CheckReport> Checks);

    sealed record CheckReport(string Name, string Status, string? Description, double DurationMs);
}
