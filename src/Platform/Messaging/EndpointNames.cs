using MassTransit;

namespace GlobalCommerce.Platform.Messaging;

// The names ConfigureEndpoints gives consumer and saga endpoints (CommerceBus sets this kebab-case formatter), for code
// that must name an endpoint before the bus exists, such as the transactional outbox's list of endpoints.
public static class EndpointNames
{
    public static string Consumer<TConsumer>()
        where TConsumer : class, IConsumer => KebabCaseEndpointNameFormatter.Instance.Consumer<TConsumer>();

    public static string Saga<TSaga>()
        where TSaga : class, ISaga => KebabCaseEndpointNameFormatter.Instance.Saga<TSaga>();
}
