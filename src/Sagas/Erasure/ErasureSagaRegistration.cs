using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Messaging.Outbox;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Sagas.Persistence;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GlobalCommerce.Sagas.Erasure;

public static class ErasureSagaRegistration
{
    // erasure_db, which the API writes (the accepted request) and reads (the status) wherever the saga runs.
    public static IServiceCollection AddErasureDatabase(this IServiceCollection services, CommerceOptions options) =>
        services.AddDomainDbContext<ErasureDbContext>(options, "erasure");

    public static IBusRegistrationConfigurator AddErasureSaga(this IBusRegistrationConfigurator bus, IConfiguration configuration, CommerceOptions options)
    {
        var sagaOptions = new ErasureSagaOptions();
        configuration.GetSection(ErasureSagaOptions.Section).Bind(sagaOptions);
        bus.TryAddSingleton(sagaOptions);
        bus.TryAddSingleton(TimeProvider.System);
        bus.AddErasureDatabase(options);

        var lockMode = options.DatabaseProvider == DatabaseProvider.Postgres ? SagaLockMode.Pessimistic : SagaLockMode.Optimistic;
        bus.AddSagaStateMachine<ErasureStateMachine, ErasureState>()
            .EntityFrameworkRepository<ErasureState, ErasureDbContext>(lockMode);
        bus.AddTransactionalOutbox<ErasureDbContext>(configuration, KebabCaseEndpointNameFormatter.Instance.Saga<ErasureState>());
        return bus;
    }
}
