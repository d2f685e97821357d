using GlobalCommerce.Platform.Messaging;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Sagas.Tests.Persistence;

// The monitor observes every endpoint of the bus it is registered with and records, per queue, how long the latest
// consumed message waited in it before a consumer took it.
public sealed class QueueWaitMonitorTests
{
    static readonly TimeSpan Work = TimeSpan.FromMilliseconds(250);

    [Fact]
    public async Task A_message_queued_behind_slow_ones_is_observed_to_have_waited_for_them()
    {
        await using var provider = new ServiceCollection()
            .AddSingleton<Counter>()
            .AddQueueWaitMonitor()
            .AddMassTransitTestHarness(bus =>
                bus.AddConsumer<SlowConsumer>().Endpoint(endpoint =>
                {
                    endpoint.Name = "slow-work";
                    endpoint.ConcurrentMessageLimit = 1;
                }))
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var monitor = provider.GetRequiredService<QueueWaitMonitor>();
        Assert.Null(monitor.Latest("slow-work"));

        // One consumer at a time: the third message waits for the two before it.
        var endpoint = await harness.Bus.GetSendEndpoint(new Uri("queue:slow-work"));
        for (var i = 0; i < 3; i++)
            await endpoint.Send(new SlowWork(i));
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (SlowConsumer.Started(provider) < 3)
        {
            Assert.True(DateTime.UtcNow < until, "the three messages were not consumed");
            await Task.Delay(25);
        }

        var seen = monitor.Latest("slow-work");
        Assert.NotNull(seen);
        Assert.True(seen.Wait >= 1.5 * Work, $"the third message waited {seen.Wait}, less than the work queued before it");
        await harness.Stop();
    }

    public sealed record SlowWork(int Sequence);

    sealed class SlowConsumer(Counter counter) : IConsumer<SlowWork>
    {
        public static int Started(IServiceProvider provider) => provider.GetRequiredService<Counter>().Value;

        public async Task Consume(ConsumeContext<SlowWork> context)
        {
            counter.Increment();
            await Task.Delay(Work);
        }
    }

    sealed class Counter
    {
        int _value;

        public int Value => Volatile.Read(ref _value);

        public void Increment() => Interlocked.Increment(ref _value);
    }
}
