using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;

namespace GlobalCommerce.Platform.Hosting;

public static class HealthEndpoints
{
    // Live: the process answers (restart it if not). Ready: every registered check, including the bus, passes
    // (send it traffic only then).
    public static IEndpointRouteBuilder MapCommerceHealthChecks(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready");
        return app;
    }
}
