using GlobalCommerce.Platform.Persistence;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GlobalCommerce.Platform.Messaging.Outbox;

public static class DomainConsumerRegistration
{
    // A domain's consumers, each on its own endpoint behind the inbox/outbox of the domain's database: one call per
    // domain instead of registering the DbContext, every consumer, and the same consumers again by endpoint name.
    public static DomainConsumers<TDbContext> AddDomainConsumers<TDbContext>(this IBusRegistrationConfigurator bus,
        IConfiguration configuration, CommerceOptions options, string domain)
        where TDbContext : DbContext
    {
        bus.TryAddSingleton(TimeProvider.System);
        bus.AddDomainDbContext<TDbContext>(options, domain);
        var endpoints = new HashSet<string>(StringComparer.Ordinal);
        var sharing = new HashSet<string>(StringComparer.Ordinal);
        bus.AddTransactionalOutbox<TDbContext>(configuration, endpoints, sharing);
        return new DomainConsumers<TDbContext>(bus, endpoints, sharing);
    }
}

public sealed class DomainConsumers<TDbContext>(IBusRegistrationConfigurator bus, HashSet<string> outboxEndpoints, HashSet<string> sharingCommits)
    where TDbContext : DbContext
{
    // sharesCommits: the messages in hand at once may share one commit (SharedCommit, on PostgreSQL); only for a handler
    // that calls nothing outside its database.
    public DomainConsumers<TDbContext> Consumer<TConsumer>(bool sharesCommits = false)
        where TConsumer : class, IConsumer
    {
        bus.AddConsumer<TConsumer>();
        outboxEndpoints.Add(EndpointNames.Consumer<TConsumer>());
        if (sharesCommits)
            sharingCommits.Add(EndpointNames.Consumer<TConsumer>());
        return this;
    }
}
