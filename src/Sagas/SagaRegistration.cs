using GlobalCommerce.Platform;
using GlobalCommerce.Sagas.Erasure;
using GlobalCommerce.Sagas.Orders;
using MassTransit;
using Microsoft.Extensions.Configuration;

namespace GlobalCommerce.Sagas;

// Every saga with what runs beside it: the Workers host lists it, and so does the API in the embedded mode.
public static class SagaRegistration
{
    public static IBusRegistrationConfigurator AddSagas(this IBusRegistrationConfigurator bus, IConfiguration configuration, CommerceOptions options)
    {
        bus.AddOrderProcessing(configuration, options);
        bus.AddErasureProcessing(configuration, options);
        return bus;
    }
}
