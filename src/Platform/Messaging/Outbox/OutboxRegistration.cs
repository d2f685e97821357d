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
    // sharingCommits: those of the endpoints whose handlers make no outside call, so their messages may share commits
    // (SharedCommit, which does so only where the database is PostgreSQL).
    public static IBusRegistrationConfigurator AddTransactionalOutbox<TDbContext>(this IBusRegistrationConfigurator bus,
        IConfiguration configuration, IReadOnlySet<string> endpoints, IReadOnlySet<string>? sharingCommits = null)
        where TDbContext : DbContext
    {
        bus.TryAddScoped<IOutboxContextFactory<TDbContext>, EfOutboxContextFactory<TDbContext>>();
        bus.AddHostedService<InboxCleanupService<TDbContext>>();
        var roles = bus.AddOutboxDelivery<TDbContext>(configuration);
        roles.Inbox = true;
        if (sharingCommits is not null)
            roles.ShareCommitsOn(sharingCommits);
        bus.TryAddSingleton<SharedCommit<TDbContext>>();

        bus.AddConfigureEndpointsCallback((context, name, endpoint) =>
        {
            if (endpoints.Contains(name))
                endpoint.UseEntityFrameworkOutbox<TDbContext>(context);
        });
        return bus;
    }

    // One OutboxDelivery per database, whichever of its outboxes this host uses; one DeliveryConfirmations per process.
    static OutboxRoles<TDbContext> AddOutboxDelivery<TDbContext>(this IServiceCollection services, IConfiguration configuration)
        where TDbContext : DbContext
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(_ =>
        {
            var options = new OutboxOptions();
            configuration.GetSection(OutboxOptions.Section).Bind(options);
            return options;
        });
        if (services.FirstOrDefault(d => d.ServiceType == typeof(OutboxRoles<TDbContext>))?.ImplementationInstance is OutboxRoles<TDbContext> roles)
            return roles;

        roles = new OutboxRoles<TDbContext>();
        services.AddSingleton(roles);
        services.AddSingleton<OutboxDelivery<TDbContext>>();
        services.AddHostedService(provider => provider.GetRequiredService<OutboxDelivery<TDbContext>>());
        if (services.All(d => d.ServiceType != typeof(DeliveryConfirmations)))
        {
            services.AddSingleton<ReceiverMap>();
            services.AddSingleton<IConfigureReceiveEndpoint>(provider => provider.GetRequiredService<ReceiverMap>());
            services.AddSingleton<DeliveryConfirmations>();
            services.AddSingleton<IReceiveObserver>(provider => provider.GetRequiredService<DeliveryConfirmations>());
        }

        return roles;
    }

    // For code outside a consumer (the API): BusOutbox<TDbContext> stores messages with the caller's changes and
    // OutboxDelivery<TDbContext> sends them once committed.
    public static IServiceCollection AddBusOutbox<TDbContext>(this IServiceCollection services, IConfiguration configuration)
        where TDbContext : DbContext
    {
        services.TryAddScoped<BusOutbox<TDbContext>>();
        services.AddOutboxDelivery<TDbContext>(configuration).Bus = true;
        return services;
    }

    public static void UseEntityFrameworkOutbox<TDbContext>(this IReceiveEndpointConfigurator endpoint, IRegistrationContext context)
        where TDbContext : DbContext
    {
        // A handler's messages are delivered in one pass (one transaction) rather than one message per pass.
        var observer = new OutboxConsumePipeSpecificationObserver<TDbContext>(endpoint, context) { MessageDeliveryLimit = int.MaxValue };
        endpoint.ConnectConsumerConfigurationObserver(observer);
        endpoint.ConnectSagaConfigurationObserver(observer);
    }
}
