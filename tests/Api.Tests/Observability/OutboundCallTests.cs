using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Messaging;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GlobalCommerce.Api.Tests.Observability;

// No outbound call the operator did not configure: MassTransit's usage telemetry would phone its vendor on start.
public sealed class OutboundCallTests
{
    [Fact]
    public void The_api_host_turns_masstransit_usage_telemetry_off()
    {
        using var factory = new ApiFactory();

        var telemetry = factory.Services.GetRequiredService<IOptions<UsageTelemetryOptions>>().Value;

        Assert.False(telemetry.Enabled);
    }

    [Fact]
    public void Every_bus_built_by_the_platform_has_usage_telemetry_off()
    {
        var services = new ServiceCollection();
        services.AddCommerceBus(new CommerceOptions(), _ => { });
        using var provider = services.BuildServiceProvider();

        var telemetry = provider.GetRequiredService<IOptions<UsageTelemetryOptions>>().Value;

        Assert.False(telemetry.Enabled);
    }
}
