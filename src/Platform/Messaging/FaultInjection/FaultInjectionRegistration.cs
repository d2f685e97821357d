using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GlobalCommerce.Platform.Messaging.FaultInjection;

public static class FaultInjectionRegistration
{
    // A stray switch must never turn on fault injection: it takes effect only in a host started with
    // ASPNETCORE_ENVIRONMENT=FaultInjection, and anywhere else the host refuses to start rather than ignore it quietly.
    public static IServiceCollection AddFaultInjection(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        var options = new FaultInjectionOptions();
        configuration.GetSection(FaultInjectionOptions.Section).Bind(options);
        if (!options.DuplicateSends)
            return services;
        if (!environment.IsEnvironment(FaultInjectionOptions.Environment))
        {
            throw new InvalidOperationException($"{FaultInjectionOptions.Section}:{nameof(FaultInjectionOptions.DuplicateSends)} is a fault-injection " +
                $"switch for tests; it is honoured only in the {FaultInjectionOptions.Environment} environment, not in {environment.EnvironmentName}.");
        }

        services.AddConsumeObserver<DuplicateCommandObserver>();
        return services;
    }
}
