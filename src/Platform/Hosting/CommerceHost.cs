using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Platform.Streams;
using GlobalCommerce.Platform.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace GlobalCommerce.Platform.Hosting;

public static class CommerceHost
{
    // What every host starts with: its Commerce options, telemetry, the system clock, health checks, and the creation of its domain
    // databases, registered before any other hosted service (seeders, sweepers, the bus) can use them.
    // defaultUrl: where the host listens unless the operator said otherwise (--urls, ASPNETCORE_URLS, URLS or Kestrel
    // endpoints), so a launch profile never silently overrides the operator.
    public static CommerceOptions AddCommercePlatform<TBuilder>(this TBuilder builder, string? defaultUrl = null)
        where TBuilder : IHostApplicationBuilder
    {
        InstalledSettings.UseInstalledSettingsWhenMissing(builder);
        if (defaultUrl is not null && string.IsNullOrEmpty(builder.Configuration["urls"])
            && !builder.Configuration.GetSection("Kestrel:Endpoints").GetChildren().Any())
            builder.Configuration["urls"] = defaultUrl;
        var options = CommerceOptions.From(builder.Configuration);
        builder.AddCommerceTelemetry();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddHostedService<DatabaseInitializer>();
        builder.Services.AddCommerceHealthChecks();
        // After the databases: the stream host's relays and consumer groups keep their bookkeeping in them.
        builder.Services.AddCommerceStreams(builder.Configuration, options);
        return options;
    }
}
