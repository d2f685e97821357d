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
        Assert.True(partitions >= 6, $"the events landed in {partitions} partitions: the test proves little");
        foreach (var account in entries.GroupBy(e => e.Account))
            Assert.Equal(Enumerable.Range(0, 10), account.Select(e => e.Sequence));
        // One transaction per partition's batch would be at least one per partition. How many windows the batches
        // spread over depends on when each reader saw its partition's events (a loaded machine: three or four), so the
        // bound is the one that tells sharing from not sharing.
        var commits = Assert.Single(host.Streams.SharedTransactions).Commits;
        Assert.True(commits < partitions, $"{commits} transactions for the batches of {partitions} partitions");
        Assert.Equal(200, await host.DeliveriesAsync("ledger"));
        await TestDatabases.DropAsync(host.Services, options);
    }

    // Two hosts share the group's partitions; their shared transactions touch the same rows in whatever order their batches
    // came, so they take turns (an advisory lock per group) rather than risk a deadlock: never two batches at once.
    [Fact]
    public async Task The_shared_transactions_of_two_hosts_take_turns()
    {
        var options = TestDatabases.For(DatabaseProvider.Postgres);
        var file = StreamsFile();
        var group = $"ledger-{Guid.NewGuid():N}"[..20];
        var probe = LedgerConsumer.Watched[group] = new OverlapProbe();
        try
        {
            await using var a = await StreamTestHost.StartAsync(options, file, [group], batchTimeLimit: TimeSpan.FromMilliseconds(100), commitTogether: true);
            await using var b = await StreamTestHost.StartAsync(options, file, [group], batchTimeLimit: TimeSpan.FromMilliseconds(100), commitTogether: true);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (DateTime.UtcNow < deadline && !(Owned(a) == 4 && Owned(b) == 4))
                await Task.Delay(100);
            Assert.Equal((4, 4), (Owned(a), Owned(b)));

            // Twenty transactions a little apart: both hosts' windows keep finding batches.
            for (var round = 0; round < 20; round++)
            {
                await a.ProduceAsync(Enumerable.Range(0, 16).Select(k => new LedgerEvent($"acct-{k}", round)));
                await Task.Delay(30);
            }

            var entries = await a.WaitForEntriesAsync(group, 320);
            Assert.Equal(320, entries.Count);
            foreach (var account in entries.GroupBy(e => e.Account))
                Assert.Equal(Enumerable.Range(0, 20), account.Select(e => e.Sequence));
            Assert.True(a.Streams.SharedTransactions[0].Commits > 1 && b.Streams.SharedTransactions[0].Commits > 1, "one host did all the work");
            Assert.Equal(1, probe.MostAtOnce);
            await TestDatabases.DropAsync(a.Services, options);
        }
        finally
        {
            LedgerConsumer.Watched.TryRemove(group, out _);
        }

        static int Owned(StreamTestHost host) => host.Streams.Groups.Count == 0 ? 0 : host.Streams.Groups[0].OwnedPartitions.Count;
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
