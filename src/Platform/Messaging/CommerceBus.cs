using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GlobalCommerce.Platform.Messaging;

// The one place that picks the transport and sets retry policy and concurrency for every endpoint.
public static class CommerceBus
{
    public static IServiceCollection AddCommerceBus(this IServiceCollection services, CommerceOptions options,
        Action<IBusRegistrationConfigurator> register)
    {
        services.AddQueueWaitMonitor();
        services.AddMassTransit(bus =>
        {
            // MassTransit reports usage telemetry to its vendor unless told not to: a commerce backend makes no outbound
            // call its operator did not configure.
            bus.ConfigureUsageTelemetryOptions(telemetry => telemetry.Enabled = false);
            bus.SetKebabCaseEndpointNameFormatter();
            bus.AddConfigureEndpointsCallback((_, _, endpoint) =>
            {
                ApplyEndpointPolicy(endpoint);
                ApplyConcurrency(endpoint, options.Messaging);
            });
            register(bus);

            switch (options.Transport)
            {
                case TransportKind.InMemory:
                    bus.UsingInMemory((context, cfg) => cfg.ConfigureEndpoints(context));
                    break;
                case TransportKind.RabbitMq:
                    services.AddConsumerWatchdog(new Uri(options.RabbitMqUrl), options.Messaging.Watchdog);
                    bus.UsingRabbitMq((context, cfg) =>
                    {
                        cfg.Host(new Uri(options.RabbitMqUrl));
                        cfg.ConfigureEndpoints(context);
                    });
                    break;
                default:
                    throw new InvalidOperationException($"Unknown transport {options.Transport}");
            }
        });
        return services;
    }

    // Every receive endpoint of the host is watched at the broker (ConsumerWatchdog); off with Watchdog:Enabled=false.
    public static IServiceCollection AddConsumerWatchdog(this IServiceCollection services, Uri broker, ConsumerWatchdogOptions watchdog)
    {
        if (!watchdog.Enabled || services.Any(d => d.ServiceType == typeof(ConsumerWatchdog)))
            return services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(watchdog);
        services.AddSingleton<HostedQueues>();
        services.AddReceiveEndpointObserver(provider => provider.GetRequiredService<HostedQueues>());
        services.AddSingleton<IBrokerQueueProbe>(_ => new RabbitMqQueueProbe(broker));
        services.AddSingleton<ConsumerWatchdog>();
        services.AddHostedService(provider => provider.GetRequiredService<ConsumerWatchdog>());
        services.AddHealthChecks().AddCheck<ConsumerWatchdogCheck>(ConsumerWatchdogCheck.Name, HealthStatus.Unhealthy, ["ready", "live"]);
        return services;
    }

    // The same limits on every endpoint (Commerce:Messaging), sized to the machine: see MessagingOptions.
    public static void ApplyConcurrency(IReceiveEndpointConfigurator endpoint, MessagingOptions messaging)
    {
        endpoint.ConcurrentMessageLimit = Math.Max(messaging.ConcurrentMessageLimit, 1);
        endpoint.PrefetchCount = Math.Max(messaging.PrefetchCount, 1);
    }

    // Retries wrap the whole handling (fresh scope and DbContext per attempt). Each domain puts its endpoints behind
    // its database's transactional inbox/outbox (AddTransactionalOutbox), so a failed attempt publishes nothing.
    public static void ApplyEndpointPolicy(IReceiveEndpointConfigurator endpoint)
    {
        // Replicated, durable queues: the production shape even on a single node.
        if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
            rabbit.SetQuorumQueue();
        endpoint.UseMessageRetry(retry =>
        {
            retry.Exponential(6, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(200));
        });
    }
}
