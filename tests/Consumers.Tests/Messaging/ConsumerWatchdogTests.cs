using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using GlobalCommerce.Consumers.Tests.Streams;
using GlobalCommerce.Platform.Messaging;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GlobalCommerce.Consumers.Tests.Messaging;

public sealed record WatchdogPing(Guid Id);

// The suite's RabbitMQ node and a real MassTransit bus: one of the bus's receive endpoints stops consuming while the
// bus runs (as after the broker restart in docs/testing.md, where MassTransit's own health check kept answering
// Healthy), and the watchdog has to notice it at the broker and bring the consumer back.
public sealed class ConsumerWatchdogTests
{
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_queue_that_lost_its_consumer_is_reported_and_consumed_again_after_its_endpoint_restarts()
    {
        long restartsMeasured = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, meter) =>
        {
            if (instrument.Name == ConsumerWatchdog.RestartsInstrument)
                meter.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref restartsMeasured, value));
        listener.Start();
        await using var fixture = await WatchdogFixture.StartAsync(restartEndpoints: true);
        await fixture.PingAndWaitAsync();
        Assert.Equal(1u, await fixture.ConsumersAsync());

        // The endpoint stops consuming, the bus goes on running and is not told to take it back.
        await fixture.Endpoint.Stop();
        Assert.Equal(0u, await fixture.ConsumersAsync());

        await fixture.UntilAsync(() => fixture.Watchdog.Restarts > 0, "the watchdog never restarted the bus");
        await fixture.UntilAsync(async () => await fixture.ConsumersAsync() == 1, "the queue has no consumer after the restart");
        await fixture.PingAndWaitAsync();
        await fixture.UntilAsync(async () => (await fixture.HealthAsync()).Status == HealthStatus.Healthy, "health stayed unhealthy after the restart");
        // Other tests' watchdogs run in this process too, so at least this one's restarts.
        Assert.True(Interlocked.Read(ref restartsMeasured) >= fixture.Watchdog.Restarts, $"{ConsumerWatchdog.RestartsInstrument} did not count the restart");
    }

    // The broker refuses the bus for a while (its virtual host's permissions revoked, its connections closed), so the
    // endpoint faults and MassTransit backs off between reconnects; then the broker takes connections again. The endpoint
    // would wait out its back-off (many seconds); the watchdog restarts it at once. A bus restart instead would leave it
    // dead: MassTransit does not start again an endpoint that was faulted when the bus stopped.
    [Fact]
    public async Task An_endpoint_waiting_out_its_reconnect_back_off_is_restarted_and_consumes_again()
    {
        var broker = StreamTestBroker.FromEnvironment();
        var virtualHost = "wd-" + Guid.NewGuid().ToString("N")[..8];
        await broker.CtlAsync("add_vhost", virtualHost);
        try
        {
            await broker.CtlAsync("set_permissions", "-p", virtualHost, "guest", ".*", ".*", ".*");
            await using var fixture = await WatchdogFixture.StartAsync(restartEndpoints: true, virtualHost);
            await fixture.PingAndWaitAsync();

            await broker.CtlAsync("clear_permissions", "-p", virtualHost, "guest");
            await broker.CtlAsync("close_all_connections", "-p", virtualHost, "test: broker refuses the bus");
            // Long enough for several failed reconnects, so the next one is many seconds away.
            await fixture.UntilAsync(() => fixture.EndpointFaulted, "the endpoint never faulted");
            await Task.Delay(TimeSpan.FromSeconds(12));
            Assert.Equal(0, fixture.Watchdog.Restarts);
            await broker.CtlAsync("set_permissions", "-p", virtualHost, "guest", ".*", ".*", ".*");

            await fixture.UntilAsync(() => fixture.Watchdog.Restarts > 0, "the watchdog never restarted the endpoint");
            await fixture.UntilAsync(async () => await fixture.ConsumersAsync() == 1, "the queue has no consumer after the restart");
            await fixture.PingAndWaitAsync();
        }
        finally
        {
            await broker.CtlAsync("delete_vhost", virtualHost);
        }
    }

    [Fact]
    public async Task A_lost_queue_fails_the_health_check_by_name_and_a_consumer_that_is_there_does_not()
    {
        await using var fixture = await WatchdogFixture.StartAsync(restartEndpoints: false);
        await fixture.PingAndWaitAsync();
        // A few checks with the consumer there: nothing is reported.
        await Task.Delay(fixture.Options.GracePeriod * 2);
        var healthy = await fixture.HealthAsync();
        Assert.Equal(HealthStatus.Healthy, healthy.Status);

        await fixture.Endpoint.Stop();
        await fixture.UntilAsync(async () => (await fixture.HealthAsync()).Status == HealthStatus.Unhealthy, "the lost queue was never reported");
        var report = await fixture.HealthAsync();
        Assert.Contains(fixture.Queue, report.Entries[ConsumerWatchdogCheck.Name].Description);
        Assert.Equal(0, fixture.Watchdog.Restarts);
    }

    [Fact]
    public async Task A_broker_that_cannot_be_asked_is_not_a_lost_queue()
    {
        // The real probe, pointed at a loopback port nothing listens on.
        await using var probe = new RabbitMqQueueProbe(new Uri($"amqp://guest:guest@127.0.0.1:{ClosedPort()}/"));
        var watchdog = new ConsumerWatchdog(new ConsumerWatchdogOptions { GracePeriod = TimeSpan.Zero, RestartEndpoints = false },
            HostedWith("orders"), probe,
            new Microsoft.Extensions.Hosting.Internal.ApplicationLifetime(Microsoft.Extensions.Logging.Abstractions.NullLogger<Microsoft.Extensions.Hosting.Internal.ApplicationLifetime>.Instance),
            TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<ConsumerWatchdog>.Instance);
        await watchdog.CheckAsync(CancellationToken.None);
        Assert.Empty(watchdog.Lost());
    }

    [Theory]
    [InlineData("rabbitmq://127.0.0.1:5672/order-state", "order-state")]
    [InlineData("rabbitmq://127.0.0.1:5672/shop/charge-payment", "charge-payment")]
    [InlineData("rabbitmq://127.0.0.1:5672/host_bus_abc?temporary=true", null)]
    [InlineData("loopback://localhost/order-state", null)]
    public void The_queue_is_the_last_segment_of_a_durable_rabbitmq_address(string address, string? queue) =>
        Assert.Equal(queue, HostedQueues.QueueOf(new Uri(address)));

    static HostedQueues HostedWith(string queue)
    {
        var hosted = new HostedQueues();
        hosted.Ready(new ReadyEvent(new Uri($"rabbitmq://127.0.0.1/{queue}"))).GetAwaiter().GetResult();
        return hosted;
    }

    sealed class ReadyEvent(Uri address) : ReceiveEndpointReady
    {
        public Uri InputAddress => address;

        public IReceiveEndpoint ReceiveEndpoint => null!;

        public bool IsStarted => true;
    }

    static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    sealed class WatchdogFixture : IAsyncDisposable
    {
        readonly IHost _host;
        readonly StreamTestBroker _broker;
        readonly Uri _address;
        readonly ConcurrentDictionary<Guid, byte> _handled;

        WatchdogFixture(IHost host, StreamTestBroker broker, Uri address, string queue, ConcurrentDictionary<Guid, byte> handled, ConsumerWatchdogOptions options)
        {
            _host = host;
            _broker = broker;
            _address = address;
            Queue = queue;
            _handled = handled;
            Options = options;
        }

        public string Queue { get; }

        public ConsumerWatchdogOptions Options { get; }

        public ConsumerWatchdog Watchdog => _host.Services.GetRequiredService<ConsumerWatchdog>();

        public IReceiveEndpoint Endpoint => _host.Services.GetRequiredService<EndpointCapture>().Of(Queue);

        public bool EndpointFaulted => _host.Services.GetRequiredService<EndpointCapture>().Faulted;

        public static async Task<WatchdogFixture> StartAsync(bool restartEndpoints, string? virtualHost = null)
        {
            var broker = StreamTestBroker.FromEnvironment();
            var address = virtualHost is null ? broker.Address : broker.AddressOf(virtualHost);
            var queue = $"wd-{Guid.NewGuid():N}";
            var handled = new ConcurrentDictionary<Guid, byte>();
            var options = new ConsumerWatchdogOptions
            {
                Interval = TimeSpan.FromMilliseconds(200),
                GracePeriod = TimeSpan.FromSeconds(1),
                RestartEndpoints = restartEndpoints,
            };
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.ClearProviders();
            builder.Services.AddConsumerWatchdog(address, options);
            builder.Services.AddSingleton<EndpointCapture>();
            builder.Services.AddReceiveEndpointObserver(provider => provider.GetRequiredService<EndpointCapture>());
            builder.Services.AddMassTransit(bus =>
            {
                bus.ConfigureUsageTelemetryOptions(telemetry => telemetry.Enabled = false);
                bus.UsingRabbitMq((_, rabbit) =>
                {
                    rabbit.Host(address);
                    rabbit.ReceiveEndpoint(queue, endpoint => endpoint.Handler<WatchdogPing>(context =>
                    {
                        handled.TryAdd(context.Message.Id, 0);
                        return Task.CompletedTask;
                    }));
                });
            });
            var host = builder.Build();
            await host.StartAsync();
            return new WatchdogFixture(host, broker, address, queue, handled, options);
        }

        public async Task PingAndWaitAsync()
        {
            var id = Guid.NewGuid();
            var endpoint = await _host.Services.GetRequiredService<ISendEndpointProvider>().GetSendEndpoint(new Uri($"queue:{Queue}"));
            await endpoint.Send(new WatchdogPing(id));
            await UntilAsync(() => _handled.ContainsKey(id), "the ping was not handled");
        }

        public async Task<uint> ConsumersAsync()
        {
            await using var connection = await _broker.ConnectAsync(_address);
            await using var channel = await connection.CreateChannelAsync();
            return (await channel.QueueDeclarePassiveAsync(Queue)).ConsumerCount;
        }

        public Task<HealthReport> HealthAsync() => _host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        public Task UntilAsync(Func<bool> condition, string failure) => UntilAsync(() => Task.FromResult(condition()), failure);

        public async Task UntilAsync(Func<Task<bool>> condition, string failure)
        {
            var until = DateTime.UtcNow + Patience;
            while (!await condition())
            {
                Assert.True(DateTime.UtcNow < until, failure);
                await Task.Delay(100);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _host.StopAsync();
            _host.Dispose();
            await using var connection = await _broker.ConnectAsync(_address);
            await using var channel = await connection.CreateChannelAsync();
            await channel.QueueDeleteAsync(Queue, ifUnused: false, ifEmpty: false);
            await channel.ExchangeDeleteAsync(Queue, ifUnused: false);
        }
    }

    sealed class EndpointCapture : IReceiveEndpointObserver
    {
        readonly ConcurrentDictionary<string, IReceiveEndpoint> _endpoints = new(StringComparer.Ordinal);

        public IReceiveEndpoint Of(string queue) => _endpoints[queue];

        public volatile bool Faulted;

        public Task Ready(ReceiveEndpointReady ready)
        {
            if (HostedQueues.QueueOf(ready.InputAddress) is { } queue)
                _endpoints[queue] = ready.ReceiveEndpoint;
            return Task.CompletedTask;
        }

        public Task Stopping(ReceiveEndpointStopping stopping) => Task.CompletedTask;

        public Task Completed(ReceiveEndpointCompleted completed) => Task.CompletedTask;

        Task IReceiveEndpointObserver.Faulted(ReceiveEndpointFaulted faulted)
        {
            Faulted = true;
            return Task.CompletedTask;
        }
    }
}
