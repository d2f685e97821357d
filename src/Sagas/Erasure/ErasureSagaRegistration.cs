using GlobalCommerce.Contracts.Erasure;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Sagas.Persistence;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Sagas.Erasure;

public static class ErasureSagaRegistration
{
    // erasure_db, which the API writes (the accepted request) and reads (the status) wherever the saga runs.
    public static IServiceCollection AddErasureDatabase(this IServiceCollection services, CommerceOptions options) =>
        services.AddDomainDbContext<ErasureDbContext>(options, "erasure");

    // What a host runs for erasures: the saga and its deadline sweeper.
    public static IBusRegistrationConfigurator AddErasureProcessing(this IBusRegistrationConfigurator bus, IConfiguration configuration, CommerceOptions options)
    {
        bus.AddErasureSaga(configuration, options);
        bus.AddDeadlineSweeper<ErasureState, ErasureDbContext, ErasureDeadlineExpired>(configuration, "erasure",
            (erasureId, deadlineAt) => new ErasureDeadlineExpired { ErasureId = erasureId, DeadlineAt = deadlineAt });
        return bus;
    }

    public static IBusRegistrationConfigurator AddErasureSaga(this IBusRegistrationConfigurator bus, IConfiguration configuration, CommerceOptions options)
    {
        bus.AddErasureDatabase(options);
        bus.AddCommerceSaga<ErasureStateMachine, ErasureState, ErasureDbContext, ErasureSagaOptions>(configuration, options, ErasureSagaOptions.Section);
        return bus;
    }
}
