using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Hosting;
using GlobalCommerce.Platform.Messaging;
using GlobalCommerce.Platform.Messaging.FaultInjection;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Platform.Telemetry;

namespace GlobalCommerce.Workers;

// An explicit entry point (not top-level statements) so the API, which hosts the same workers in the embedded
// default, has the only global Program type for WebApplicationFactory.
public static class WorkerHost
{
    public static async Task Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var options = CommerceOptions.From(builder.Configuration);
        builder.AddCommerceTelemetry();

        builder.Services.AddHostedService<DatabaseInitializer>();
        builder.Services.AddCommerceBus(options, bus => bus.AddOrderProcessing(builder.Configuration, options));
        builder.Services.AddCommerceHealthChecks();
        // Off unless a fault-survival test asks for it (Commerce:Testing, FaultInjection environment only).
        builder.Services.AddFaultInjection(builder.Configuration, builder.Environment);

        var app = builder.Build();
        app.MapCommerceHealthChecks();
        await app.RunAsync();
    }
}
