using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Messaging;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Api.Tests.Hosting;

// Every receive endpoint of a platform bus takes on at most Commerce:Messaging:ConcurrentMessageLimit messages at once,
// by default a few per core of the machine it runs on.
public sealed class MessagingConcurrencyTests
{
    [Fact]
    public void The_limits_follow_the_cores_unless_configured()
    {
        var defaults = new CommerceOptions().Messaging;
        Assert.Equal(4 * Environment.ProcessorCount, defaults.ConcurrentMessageLimit);
        Assert.Equal(2 * defaults.ConcurrentMessageLimit, defaults.PrefetchCount);

        var configured = CommerceOptions.From(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Commerce:Messaging:ConcurrentMessageLimit"] = "3" })
            .Build()).Messaging;
        Assert.Equal(3, configured.ConcurrentMessageLimit);
        Assert.Equal(6, configured.PrefetchCount);
    }

    [Fact]
    public async Task An_endpoint_of_a_platform_bus_handles_at_most_the_configured_number_of_messages_at_once()
    {
        // Neither the default (four per core) nor anything a transport derives from the core count on its own.
        var limit = Environment.ProcessorCount + 1;
        var options = new CommerceOptions { Messaging = { ConcurrentMessageLimit = limit, PrefetchCount = limit } };
        var services = new ServiceCollection().AddLogging().AddSingleton<Concurrency>();
        services.AddCommerceBus(options, bus => bus.AddConsumer<SlowConsumer>());
        await using var provider = services.BuildServiceProvider(true);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var bus = provider.GetRequiredService<IBusControl>();
        await bus.StartAsync(timeout.Token);
        try
        {
            var endpoint = await bus.GetSendEndpoint(new Uri($"queue:{EndpointNames.Consumer<SlowConsumer>()}"));
            var messages = 4 * limit;
            for (var i = 0; i < messages; i++)
                await endpoint.Send(new SlowWork(i));

            var concurrency = provider.GetRequiredService<Concurrency>();
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (concurrency.Done < messages)
            {
                Assert.True(DateTime.UtcNow < until, $"only {concurrency.Done} of {messages} messages were handled");
                await Task.Delay(25);
            }

            // Reached, since slow messages were waiting, and never exceeded.
            Assert.Equal(limit, concurrency.Max);
        }
        finally
        {
            await bus.StopAsync(CancellationToken.None);
        }
    }

    public sealed record SlowWork(int Sequence);

    public sealed class SlowConsumer(Concurrency concurrency) : IConsumer<SlowWork>
    {
        public async Task Consume(ConsumeContext<SlowWork> context)
        {
            concurrency.Enter();
            try
            {
                await Task.Delay(100);
            }
            finally
            {
                concurrency.Leave();
            }
        }
    }

    public sealed class Concurrency
    {
        readonly Lock _gate = new();
        int _current;
        int _max;
        int _done;

        public int Max => Read(ref _max);

        public int Done => Read(ref _done);

        public void Enter()
        {
            lock (_gate)
                _max = Math.Max(_max, ++_current);
        }

        public void Leave()
        {
            lock (_gate)
            {
                _current--;
                _done++;
            }
        }

        int Read(ref int field)
        {
            lock (_gate)
                return field;
        }
    }
}
