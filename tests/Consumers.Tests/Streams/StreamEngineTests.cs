using GlobalCommerce.Consumers.Tests.Support;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Platform.Streams;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Consumers.Tests.Streams;

// The stream engine on the embedded backend: transactional produce, order per key, checkpoints, replay by a new group,
// leases. The same engine runs every backend; the RabbitMQ backend has its own tests.
public sealed class StreamEngineTests
{
    // Its own file per test (a PostgreSQL test's options point at the user's data folder, which must not be shared).
    static string StreamsFile(CommerceOptions options) =>
        Path.Combine(Path.GetTempPath(), "gc-consumers-tests", Guid.NewGuid().ToString("N"), "streams.db");

    static IEnumerable<LedgerEvent> Accounts(int accounts, int perAccount, int from = 0) =>
        Enumerable.Range(from, perAccount).SelectMany(seq => Enumerable.Range(0, accounts).Select(a => new LedgerEvent($"acct-{a}", seq)));

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Committed_events_arrive_once_in_order_per_key_and_rolled_back_ones_never(DatabaseProvider provider)
    {
        var options = TestDatabases.For(provider);
        await using var host = await StreamTestHost.StartAsync(options, StreamsFile(options), ["ledger"]);

        // Rolled back first, then a committed marker on the same key (the same partition): once the marker has arrived,
        // anything before it in that partition would have too.
        await host.ProduceAsync([new LedgerEvent("acct-0", -1), new LedgerEvent("acct-0", -2)], commit: false);
        foreach (var chunk in Accounts(20, 25).Chunk(50))
            await host.ProduceAsync(chunk);

        var entries = await host.WaitForEntriesAsync("ledger", 500);
        Assert.Equal(500, entries.Count);
        Assert.DoesNotContain(entries, e => e.Sequence < 0);
        foreach (var account in entries.GroupBy(e => e.Account))
        {
            Assert.Equal(Enumerable.Range(0, 25), account.Select(e => e.Sequence));
            Assert.Single(account.Select(e => e.Partition).Distinct());
        }

        // The relay deleted what it produced.
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LedgerDbContext>();
        Assert.Equal(0, await db.Set<StreamOutboxEntry>().CountAsync());
        await TestDatabases.DropAsync(host.Services, options);
    }

    // ProduceAll hands a gathered batch (search events) to the backend at once, outside any domain transaction.
    [Fact]
    public async Task Events_produced_together_outside_a_transaction_arrive_once_in_order_per_key()
    {
        var options = TestDatabases.For(DatabaseProvider.Sqlite);
        await using var host = await StreamTestHost.StartAsync(options, StreamsFile(options), ["ledger"]);

        await using (var scope = host.Services.CreateAsyncScope())
        {
            var producer = scope.ServiceProvider.GetRequiredService<ITopicProducer<LedgerEvent>>();
            await producer.ProduceAll([.. Accounts(10, 20)], e => e.Account);
        }

        var entries = await host.WaitForEntriesAsync("ledger", 200);
        Assert.Equal(200, entries.Count);
        foreach (var account in entries.GroupBy(e => e.Account))
            Assert.Equal(Enumerable.Range(0, 20), account.Select(e => e.Sequence));
        await TestDatabases.DropAsync(host.Services, options);
    }

    [Fact]
    public async Task A_restarted_group_resumes_at_its_checkpoint_and_a_new_group_replays_from_the_start()
    {
        var options = TestDatabases.For(DatabaseProvider.Sqlite);
        var file = StreamsFile(options);
        await using (var first = await StreamTestHost.StartAsync(options, file, ["ledger"], checkpointEvents: 10))
        {
            await first.ProduceAsync(Accounts(10, 10));
            Assert.Equal(100, (await first.WaitForEntriesAsync("ledger", 100)).Count);
        }

        // Stopped cleanly: every partition's position was written, so the restart reads nothing twice.
        await using var second = await StreamTestHost.StartAsync(options, file, ["ledger", "replay"], checkpointEvents: 10);
        await second.ProduceAsync(Accounts(10, 5, from: 10));
        var ledger = await second.WaitForEntriesAsync("ledger", 150);
        Assert.Equal(150, ledger.Count);
        Assert.Equal(150, await second.DeliveriesAsync("ledger"));

        var replay = await second.WaitForEntriesAsync("replay", 150);
        Assert.Equal(150, replay.Count);
        foreach (var account in replay.GroupBy(e => e.Account))
            Assert.Equal(Enumerable.Range(0, 15), account.Select(e => e.Sequence));
        await TestDatabases.DropAsync(second.Services, options);
    }

    [Fact]
    public async Task Events_read_again_after_a_lost_checkpoint_change_nothing_twice()
    {
        var options = TestDatabases.For(DatabaseProvider.Sqlite);
        var file = StreamsFile(options);
        await using (var first = await StreamTestHost.StartAsync(options, file, ["ledger"]))
        {
            await first.ProduceAsync(Accounts(5, 20));
            Assert.Equal(100, (await first.WaitForEntriesAsync("ledger", 100)).Count);
        }

        // As if the process had died before writing any checkpoint: every event is read again.
        await using var second = await StreamTestHost.StartAsync(options, file, ["ledger"]);
        await using (var scope = second.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LedgerDbContext>();
            await db.Set<StreamCheckpoint>().ExecuteDeleteAsync();
        }

        await second.StopAsync();
        await using var third = await StreamTestHost.StartAsync(options, file, ["ledger"]);
        await third.ProduceAsync([new LedgerEvent("marker", 0)]);
        var entries = await third.WaitForEntriesAsync("ledger", 101);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (await third.DeliveriesAsync("ledger") < 201 && DateTime.UtcNow < deadline)
            await Task.Delay(50);

        Assert.Equal(201, await third.DeliveriesAsync("ledger"));
        Assert.Equal(101, (await third.EntriesAsync("ledger")).Count);
        Assert.Equal(101, entries.Count);
        await TestDatabases.DropAsync(third.Services, options);
    }

    [Fact]
    public async Task A_batch_under_its_size_waits_within_its_time_limit_for_more_events_and_goes_when_full()
    {
        var options = TestDatabases.For(DatabaseProvider.Sqlite);
        await using var host = await StreamTestHost.StartAsync(options, StreamsFile(options), ["ledger"], batchSize: 10,
            batchTimeLimit: TimeSpan.FromMinutes(1));

        // One account, one partition: 3 events, then 7 more in another transaction.
        await host.ProduceAsync(Enumerable.Range(0, 3).Select(i => new LedgerEvent("acct-fill", i)));
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.Equal(0, await host.DeliveriesAsync("ledger"));
        await host.ProduceAsync(Enumerable.Range(3, 7).Select(i => new LedgerEvent("acct-fill", i)));

        // Handed over as soon as it is full, not when the minute is up.
        var entries = await host.WaitForEntriesAsync("ledger", 10, TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(0, 10), entries.Select(e => e.Sequence));
        Assert.Equal(Enumerable.Repeat(10, 10), await host.BatchSizesAsync("ledger"));
        await TestDatabases.DropAsync(host.Services, options);
    }

    [Fact]
    public async Task Two_hosts_share_the_partitions_and_one_takes_over_when_the_other_stops()
    {
        var options = TestDatabases.For(DatabaseProvider.Sqlite);
        var file = StreamsFile(options);
        await using var a = await StreamTestHost.StartAsync(options, file, ["ledger"]);
        await using var b = await StreamTestHost.StartAsync(options, file, ["ledger"]);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline && !(Owned(a) == 4 && Owned(b) == 4))
            await Task.Delay(100);
        Assert.Equal(4, Owned(a));
        Assert.Equal(4, Owned(b));
        Assert.Empty(a.Streams.Groups[0].OwnedPartitions.Intersect(b.Streams.Groups[0].OwnedPartitions));

        await a.ProduceAsync(Accounts(16, 10));
        Assert.Equal(160, (await a.WaitForEntriesAsync("ledger", 160)).Count);

        await a.StopAsync();
        while (DateTime.UtcNow < deadline && Owned(b) != 8)
            await Task.Delay(100);
        Assert.Equal(8, Owned(b));
        await b.ProduceAsync(Accounts(16, 5, from: 10));
        var entries = await b.WaitForEntriesAsync("ledger", 240);
        Assert.Equal(240, entries.Count);
        foreach (var account in entries.GroupBy(e => e.Account))
            Assert.Equal(Enumerable.Range(0, 15), account.Select(e => e.Sequence));
        await TestDatabases.DropAsync(b.Services, options);

        static int Owned(StreamTestHost host) => host.Streams.Groups.Count == 0 ? 0 : host.Streams.Groups[0].OwnedPartitions.Count;
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_lease_is_taken_over_only_once_its_owner_stopped_renewing_it(DatabaseProvider provider)
    {
        var options = TestDatabases.For(provider);
        var file = StreamsFile(options);
        await using var host = await StreamTestHost.StartAsync(options, file, []);
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LedgerDbContext>();
        const string group = "lease-test";
        const long now = 1_000_000;

        Assert.True(await StreamStore.TryAcquireAsync(db, group, "s", 3, "a", now, now + 15_000, default));
        Assert.False(await StreamStore.TryAcquireAsync(db, group, "s", 3, "b", now + 14_999, now + 29_999, default));
        // The owner renews, and its checkpoint is accepted; b's is not.
        Assert.Equal([3], await StreamStore.RenewAsync(db, group, "s", "a", now + 5_000, now + 20_000, default));
        Assert.True(await StreamStore.WriteCheckpointAsync(db, group, "s", 3, 42, "a", now, default));
        Assert.False(await StreamStore.WriteCheckpointAsync(db, group, "s", 3, 99, "b", now, default));
        Assert.False(await StreamStore.TryAcquireAsync(db, group, "s", 3, "b", now + 19_999, now + 35_000, default));

        // a stopped renewing: once its lease ran out, b takes the partition and a can no longer write its position.
        Assert.True(await StreamStore.TryAcquireAsync(db, group, "s", 3, "b", now + 20_000, now + 35_000, default));
        Assert.Empty(await StreamStore.RenewAsync(db, group, "s", "a", now + 20_001, now + 40_000, default));
        Assert.False(await StreamStore.WriteCheckpointAsync(db, group, "s", 3, 50, "a", now, default));
        Assert.Equal(42, await StreamStore.ReadCheckpointAsync(db, group, "s", 3, default));
        await TestDatabases.DropAsync(host.Services, options);
    }

    // The outbox rows a transaction writes go as one statement per flush: a few as a VALUES list (PostgreSQL: one
    // prepared text per row count, up to 16), more as arrays. Either way every field arrives as given, a missing trace
    // context as NULL, and ids follow the order the rows were produced in (the relay produces in id order).
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Outbox_rows_written_a_few_or_many_at_a_time_keep_every_field_and_their_order(DatabaseProvider provider)
    {
        var options = TestDatabases.For(provider);
        await using var host = await StreamTestHost.StartAsync(options, StreamsFile(options), []);
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LedgerDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync();

        var expected = new List<StreamOutboxEntry>();
        foreach (var size in new[] { 1, 2, 16, 17, 40 })
        {
            for (var i = 0; i < size; i++)
            {
                var n = expected.Count;
                var row = new StreamOutboxEntry
                {
                    EventId = Guid.NewGuid(),
                    Stream = $"stream-{n % 3}",
                    PartitionKey = $"key-{n}",
                    MessageType = $"urn:message:Test:Event{size}",
                    Body = $$"""{"n":{{n}},"text":"quote \" and ünïcode"}""",
                    TraceParent = n % 2 == 0 ? null : $"00-{n:x32}-{n:x16}-01",
                    CreatedAt = 1_700_000_000_000 + n,
                };
                expected.Add(row);
                StreamOutboxRows.Add(db, row);
            }

            // Each size is flushed as one batch of its own.
            await db.SaveChangesAsync();
        }

        Assert.Equal(expected.Select(e => e.EventId), StreamOutboxRows.WrittenInTransaction(db));
        var stored = await db.Set<StreamOutboxEntry>().AsNoTracking().OrderBy(e => e.Id).ToListAsync();
        Assert.Equal(expected.Select(e => (e.EventId, e.Stream, e.PartitionKey, e.MessageType, e.Body, e.TraceParent, e.CreatedAt)),
            stored.Select(e => (e.EventId, e.Stream, e.PartitionKey, e.MessageType, e.Body, e.TraceParent, e.CreatedAt)));
        await transaction.RollbackAsync();
        await TestDatabases.DropAsync(host.Services, options);
    }
}
