using MassTransit;
using MassTransit.Configuration;
using MassTransit.Middleware;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GlobalCommerce.Platform.Messaging.Outbox;

public static class OutboxRegistration
{
    // Puts the named receive endpoints behind the EF inbox/outbox of TDbContext: every consumer and saga there
    // handles a message at most once and its outgoing messages commit with its state.
    public static IBusRegistrationConfigurator AddTransactionalOutbox<TDbContext>(this IBusRegistrationConfigurator bus,
        IConfiguration configuration, params string[] endpointNames)
        where TDbContext : DbContext =>
        bus.AddTransactionalOutbox<TDbContext>(configuration, endpointNames.ToHashSet(StringComparer.Ordinal));

    // endpoints is read when the bus configures its endpoints, so names added after this call still count.
    public static IBusRegistrationConfigurator AddTransactionalOutbox<TDbContext>(this IBusRegistrationConfigurator bus,
        IConfiguration configuration, IReadOnlySet<string> endpoints)
        where TDbContext : DbContext
    {
        bus.TryAddSingleton(TimeProvider.System);
        bus.TryAddSingleton(_ =>
        {
            var options = new OutboxOptions();
            configuration.GetSection(OutboxOptions.Section).Bind(options);
            return options;
        });
        bus.TryAddScoped<IOutboxContextFactory<TDbContext>, EfOutboxContextFactory<TDbContext>>();
        bus.AddHostedService<InboxCleanupService<TDbContext>>();

        bus.AddConfigureEndpointsCallback((context, name, endpoint) =>
        {
            if (endpoints.Contains(name))
                endpoint.UseEntityFrameworkOutbox<TDbContext>(context);
        });
        return bus;
    }

    // For code outside a consumer (the API): BusOutbox<TDbContext> stores messages with the caller's changes and
    // BusOutboxDeliveryService<TDbContext> sends them once committed.
    public static IServiceCollection AddBusOutbox<TDbContext>(this IServiceCollection services)
        where TDbContext : DbContext
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<BusOutboxSignal<TDbContext>>();
        services.TryAddScoped<BusOutbox<TDbContext>>();
        services.AddHostedService<BusOutboxDeliveryService<TDbContext>>();
        return services;
    }

    public static void UseEntityFrameworkOutbox<TDbContext>(this IReceiveEndpointConfigurator endpoint, IRegistrationContext context)
        where TDbContext : DbContext
    {
        // A handler's messages are delivered in one pass (one transaction) rather than one message per pass.
        var observer = new OutboxConsumePipeSpecificationObserver<TDbContext>(endpoint, context) { MessageDeliveryLimit = 100 };
        endpoint.ConnectConsumerConfigurationObserver(observer);
        endpoint.ConnectSagaConfigurationObserver(observer);
    }
}
