using GlobalCommerce.Consumers.Tests.Support;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Streams;

namespace GlobalCommerce.Consumers.Tests.Streams;

// A group that commits together (CommitTogether, the analytics group) handles the batches of all its partitions in one
// transaction per window, once each, in order per key; a poison batch holds back only its own partition.
public sealed class StreamSharedTransactionTests
{
    static readonly TimeSpan Window = TimeSpan.FromSeconds(1);

    static string StreamsFile() => Path.Combine(Path.GetTempPath(), "gc-consumers-tests", Guid.NewGuid().ToString("N"), "streams.db");

    static IEnumerable<LedgerEvent> Accounts(string prefix, int accounts, int perAccount) =>
        Enumerable.Range(0, perAccount).SelectMany(seq => Enumerable.Range(0, accounts).Select(a => new LedgerEvent($"{prefix}-{a}", seq)));

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task The_batches_of_every_partition_go_in_one_transaction_once_each_in_order_per_key(DatabaseProvider provider)
    {
        var options = TestDatabases.For(provider);
        await using var host = await StreamTestHost.StartAsync(options, StreamsFile(), ["ledger"], batchTimeLimit: Window, commitTogether: true);

        // One transaction of 200 events over 20 keys: the relay hands them over at once, into most of the 8 partitions.
        await host.ProduceAsync(Accounts("acct", 20, 10));

        var entries = await host.WaitForEntriesAsync("ledger", 200);
        Assert.Equal(200, entries.Count);
        var partitions = entries.Select(e => e.Partition).Distinct().Count();
        Assert.True(partitions > 2, $"the events landed in {partitions} partitions: the test proves nothing");
        foreach (var account in entries.GroupBy(e => e.Account))
            Assert.Equal(Enumerable.Range(0, 10), account.Select(e => e.Sequence));
        // One transaction per partition's batch would be at least one per partition.
        Assert.InRange(Assert.Single(host.Streams.SharedTransactions).Commits, 1, 2);
        Assert.Equal(200, await host.DeliveriesAsync("ledger"));
        await TestDatabases.DropAsync(host.Services, options);
    }

    [Fact]
    public async Task A_poison_batch_holds_back_only_its_own_partition_and_is_handled_once_when_it_heals()
    {
        var options = TestDatabases.For(DatabaseProvider.Sqlite);
        await using var host = await StreamTestHost.StartAsync(options, StreamsFile(), ["ledger"], batchTimeLimit: Window, commitTogether: true);
        var poison = $"poison-{Guid.NewGuid():N}";
        LedgerConsumer.Poisoned[poison] = 0;
        try
        {
            await host.ProduceAsync([new LedgerEvent(poison, 0), .. Accounts("healthy", 20, 5)]);

            // The healthy keys in the poison's partition wait behind it (a partition is handled in order); all the others
            // arrive although they shared a transaction with it.
            var poisonPartition = EmbeddedStreamBackend.PartitionOf(poison, 8);
            var healthyElsewhere = Enumerable.Range(0, 20).Count(a => EmbeddedStreamBackend.PartitionOf($"healthy-{a}", 8) != poisonPartition) * 5;
            var entries = await host.WaitForEntriesAsync("ledger", healthyElsewhere);
            Assert.Equal(healthyElsewhere, entries.Count);
            Assert.DoesNotContain(entries, e => e.Partition == poisonPartition);

            LedgerConsumer.Poisoned.TryRemove(poison, out _);
            entries = await host.WaitForEntriesAsync("ledger", 101);
            Assert.Equal(101, entries.Count);
            Assert.Single(entries, e => e.Account == poison);
            foreach (var account in entries.GroupBy(e => e.Account))
                Assert.Equal(Enumerable.Range(0, account.Key == poison ? 1 : 5), account.Select(e => e.Sequence));
        }
        finally
        {
            LedgerConsumer.Poisoned.TryRemove(poison, out _);
        }

        await TestDatabases.DropAsync(host.Services, options);
    }
}
