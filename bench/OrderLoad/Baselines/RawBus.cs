using System.Diagnostics;
using GlobalCommerce.Bench.OrderLoad.Measurement;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Bench.OrderLoad.Baselines;

// The transport's ceiling as MassTransit sees it: a tiny bus in this process, on the platform's transport, with one
// trivial consumer. Publishers publish for the given time (awaiting each publish, so on RabbitMQ each waits for its
// publisher confirm, as the platform's do); the rate is messages consumed / time until the last one was consumed.
// On RabbitMQ the queue is a quorum queue with MassTransit's default prefetch, like the platform's endpoints.
public static class RawBus
{
    public static Task<BusBaseline> RabbitMqAsync(Uri broker, BenchOptions options, CpuMonitor cpu, CancellationToken cancellationToken) =>
        RunAsync("RabbitMQ (quorum queue)", options, cpu, (bus, queue) => bus.UsingRabbitMq((context, cfg) =>
        {
            cfg.Host(broker);
            cfg.ReceiveEndpoint(queue, endpoint =>
            {
                endpoint.SetQuorumQueue();
                endpoint.ConfigureConsumer<BenchPingConsumer>(context);
            });
        }), cancellationToken);

    public static Task<BusBaseline> InMemoryAsync(BenchOptions options, CpuMonitor cpu, CancellationToken cancellationToken) =>
        RunAsync("in-memory", options, cpu, (bus, queue) => bus.UsingInMemory((context, cfg) =>
            cfg.ReceiveEndpoint(queue, endpoint => endpoint.ConfigureConsumer<BenchPingConsumer>(context))), cancellationToken);

    static async Task<BusBaseline> RunAsync(string transport, BenchOptions options, CpuMonitor cpu,
        Action<IBusRegistrationConfigurator, string> configure, CancellationToken cancellationToken)
    {
        var counter = new BenchPingCounter();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(counter);
        services.AddMassTransit(bus =>
        {
            bus.AddConsumer<BenchPingConsumer>();
            configure(bus, "bench-raw-bus-" + Guid.NewGuid().ToString("N")[..8]);
        });
        await using var provider = services.BuildServiceProvider();
        var bus = provider.GetRequiredService<IBusControl>();
        await bus.StartAsync(cancellationToken);
        try
        {
            // A short unmeasured burst first: connections, channels, topology and JIT.
            await PublishAsync(bus, options.BusPublishers, TimeSpan.FromSeconds(1), cancellationToken);
            await counter.WaitForAsync(counter.Published, TimeSpan.FromSeconds(60), cancellationToken);

            var before = cpu.Sample();
            var consumedBefore = counter.Consumed;
            var clock = Stopwatch.StartNew();
            var published = await PublishAsync(bus, options.BusPublishers, options.RawDuration, cancellationToken);
            var publishSeconds = clock.Elapsed.TotalSeconds;
            await counter.WaitForAsync(consumedBefore + published, TimeSpan.FromSeconds(120), cancellationToken);
            var seconds = clock.Elapsed.TotalSeconds;
            var after = cpu.Sample();
            return new BusBaseline(transport, options.BusPublishers, published, published / publishSeconds, (counter.Consumed - consumedBefore) / seconds,
                cpu.Names.Where(name => name != CpuMonitor.Other).ToDictionary(name => name, name => after.SecondsSince(before, name) / published, StringComparer.Ordinal));
        }
        finally
        {
            await bus.StopAsync(CancellationToken.None);
        }

        async Task<long> PublishAsync(IBus bus, int publishers, TimeSpan duration, CancellationToken cancellationToken)
        {
            long published = 0;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, publishers).Select(async _ =>
            {
                while (clock.Elapsed < duration)
                {
                    await bus.Publish(new BenchPing { Id = NewId.NextGuid(), SentAt = DateTimeOffset.UtcNow }, cancellationToken);
                    Interlocked.Increment(ref published);
                }
            }));
            counter.AddPublished(published);
            return published;
        }
    }
}

public sealed record BusBaseline(string Transport, int Publishers, long Messages, double PublishedPerSecond, double ConsumedPerSecond,
    IReadOnlyDictionary<string, double> CpuSecondsPerMessage);

public sealed record BenchPing
{
    public required Guid Id { get; init; }

    public required DateTimeOffset SentAt { get; init; }
}

public sealed class BenchPingConsumer(BenchPingCounter counter) : IConsumer<BenchPing>
{
    public Task Consume(ConsumeContext<BenchPing> context)
    {
        counter.Consumed1();
        return Task.CompletedTask;
    }
}

public sealed class BenchPingCounter
{
    long _consumed;
    long _published;

    public long Consumed => Interlocked.Read(ref _consumed);

    public long Published => Interlocked.Read(ref _published);

    public void Consumed1() => Interlocked.Increment(ref _consumed);

    public void AddPublished(long count) => Interlocked.Add(ref _published, count);

    public async Task WaitForAsync(long consumed, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var until = DateTime.UtcNow + timeout;
        while (Consumed < consumed)
        {
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"raw bus: only {Consumed} of {consumed} messages consumed after {timeout}");
            await Task.Delay(5, cancellationToken);
        }
    }
}
