using MassTransit;
using MassTransit.Configuration;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Sagas.Persistence;

public static class EfSagaRepositoryRegistration
{
    // Plugs the EF repository into MassTransit the same way its own persistence packages do.
    public static ISagaRegistrationConfigurator<TSaga> EntityFrameworkRepository<TSaga, TDbContext>(
        this ISagaRegistrationConfigurator<TSaga> configurator, SagaLockMode lockMode)
        where TSaga : class, ISagaVersion
        where TDbContext : DbContext
    {
        configurator.Repository(repository =>
        {
            repository.AddSingleton(new EfSagaRepositoryOptions<TSaga>(lockMode));
            repository.RegisterLoadSagaRepository<TSaga, EfSagaRepositoryContextFactory<TSaga, TDbContext>>();
            repository.RegisterQuerySagaRepository<TSaga, EfSagaRepositoryContextFactory<TSaga, TDbContext>>();
            repository.RegisterSagaRepository<TSaga, DbContext, SagaConsumeContextFactory<DbContext, TSaga>,
                EfSagaRepositoryContextFactory<TSaga, TDbContext>>();
        });
        return configurator;
    }
}
