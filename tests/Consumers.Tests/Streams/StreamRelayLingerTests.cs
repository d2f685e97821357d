using System.Collections.Concurrent;
using GlobalCommerce.Consumers.Tests.Support;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Streams;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Consumers.Tests.Streams;

// A relay woken by a commit waits RelayLinger before it reads: the events of transactions committed meanwhile are
// handed to the backend together, not one hand-over (a read, a produce, a delete) per transaction.
public sealed class StreamRelayLingerTests
{
    [Fact]
    public async Task Events_of_transactions_committed_while_the_relay_lingers_go_in_one_hand_over()
    {
        var options = TestDatabases.For(DatabaseProvider.Sqlite);
        var file = Path.Combine(Path.GetTempPath(), "gc-consumers-tests", Guid.NewGuid().ToString("N"), "streams.db");
        var handOvers = new ConcurrentQueue<IReadOnlyList<StreamRecord>>();
        await using var host = await StreamTestHost.StartAsync(options, file, [], relayLinger: TimeSpan.FromSeconds(2),
            services: services => CountHandOvers(services, handOvers));

        // First one event, relayed once the relay holds its lease and waits for commits.
        await host.ProduceAsync([new LedgerEvent("acct-linger", -1)]);
        await WaitForAsync(handOvers, 1);
        handOvers.Clear();

        // Five transactions 100 ms apart, one event each: far apart for a relay that reads at once (five hand-overs),
        // well inside the linger.
        for (var i = 0; i < 5; i++)
        {
            await host.ProduceAsync([new LedgerEvent("acct-linger", i)]);
            await Task.Delay(100);
        }

        await WaitForAsync(handOvers, 5);

        var relayed = Assert.Single(handOvers);
        Assert.Equal(5, relayed.Count);
        await TestDatabases.DropAsync(host.Services, options);
    }

    static async Task WaitForAsync(ConcurrentQueue<IReadOnlyList<StreamRecord>> handOvers, int events)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (handOvers.Sum(h => h.Count) < events && DateTime.UtcNow < deadline)
            await Task.Delay(50);
    }

    // Wraps the backend the host would use, recording each ProduceAsync call's records.
    static void CountHandOvers(IServiceCollection services, ConcurrentQueue<IReadOnlyList<StreamRecord>> handOvers)
    {
        var descriptor = services.Single(d => d.ServiceType == typeof(IStreamBackend));
        services.Remove(descriptor);
        services.AddSingleton<IStreamBackend>(provider =>
            new CountingBackend((IStreamBackend)descriptor.ImplementationFactory!(provider), handOvers));
    }

    sealed class CountingBackend(IStreamBackend inner, ConcurrentQueue<IReadOnlyList<StreamRecord>> handOvers) : IStreamBackend
    {
        public string Name => inner.Name;

        public Task EnsureStreamsAsync(IReadOnlyList<StreamDefinition> streams, CancellationToken cancellationToken) =>
            inner.EnsureStreamsAsync(streams, cancellationToken);

        public async Task ProduceAsync(IReadOnlyList<StreamRecord> records, CancellationToken cancellationToken)
        {
            await inner.ProduceAsync(records, cancellationToken);
            handOvers.Enqueue([.. records]);
        }

        public Task<IPartitionReader> OpenAsync(string stream, int partition, long? from, CancellationToken cancellationToken) =>
            inner.OpenAsync(stream, partition, from, cancellationToken);
    }
}
