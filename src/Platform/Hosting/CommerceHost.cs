using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Platform.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace GlobalCommerce.Platform.Hosting;

public static class CommerceHost
{
    // What every host starts with: its Commerce options, telemetry, the system clock, health checks, and the creation of its domain
    // databases, registered before any other hosted service (seeders, sweepers, the bus) can use them.
    public static CommerceOptions AddCommercePlatform<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        var options = CommerceOptions.From(builder.Configuration);
        builder.AddCommerceTelemetry();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddHostedService<DatabaseInitializer>();
        builder.Services.AddCommerceHealthChecks();
        return options;
    }
}
