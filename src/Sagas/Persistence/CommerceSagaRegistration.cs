using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Messaging;
using GlobalCommerce.Platform.Messaging.Outbox;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GlobalCommerce.Sagas.Persistence;

public static class CommerceSagaRegistration
{
    // Every saga the same way: options bound from its section, state in TDbContext through the EF repository (row locks
    // on PostgreSQL, where concurrent messages for one saga would otherwise fail and retry), and its endpoint, with any
    // consumer endpoints named in alsoInOutbox, behind TDbContext's transactional inbox/outbox.
    public static ISagaRegistrationConfigurator<TState> AddCommerceSaga<TMachine, TState, TDbContext, TOptions>(
        this IBusRegistrationConfigurator bus, IConfiguration configuration, CommerceOptions options, string optionsSection,
        params string[] alsoInOutbox)
        where TMachine : class, SagaStateMachine<TState>
        where TState : class, SagaStateMachineInstance, ISagaVersion
        where TDbContext : DbContext
        where TOptions : class, new()
    {
        var sagaOptions = new TOptions();
        configuration.GetSection(optionsSection).Bind(sagaOptions);
        bus.TryAddSingleton(sagaOptions);
        bus.TryAddSingleton(TimeProvider.System);

        var lockMode = options.DatabaseProvider == DatabaseProvider.Postgres ? SagaLockMode.Pessimistic : SagaLockMode.Optimistic;
        var saga = bus.AddSagaStateMachine<TMachine, TState>().EntityFrameworkRepository<TState, TDbContext>(lockMode);
        // The saga's messages may share commits (SharedCommit, on PostgreSQL): its transitions call nothing outside.
        bus.AddTransactionalOutbox<TDbContext>(configuration, new HashSet<string>([EndpointNames.Saga<TState>(), .. alsoInOutbox], StringComparer.Ordinal),
            new HashSet<string>([EndpointNames.Saga<TState>()], StringComparer.Ordinal));
        return saga;
    }
}
