using GlobalCommerce.Consumers.Tests.Support;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Streams;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Consumers.Tests.Streams;

// Inbox records of events no stream can hand out again are removed, a bounded number per call, oldest first; the
// group's newer records and other groups' records stay.
public class StreamInboxPruneTests
{
    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Records_older_than_the_cutoff_go_in_bounded_rounds_and_the_rest_stay(DatabaseProvider provider)
    {
        var options = TestDatabases.For(provider);
        var file = Path.Combine(Path.GetTempPath(), "gc-consumers-tests", Guid.NewGuid().ToString("N"), "streams.db");
        await using var host = await StreamTestHost.StartAsync(options, file, []);
        var cutoff = new DateTimeOffset(2026, 11, 20, 0, 0, 0, TimeSpan.Zero);
        var old = Enumerable.Range(0, 5).Select(i => Entry("ledger", cutoff.AddHours(-1 - i))).ToList();
        var recent = Enumerable.Range(0, 3).Select(i => Entry("ledger", cutoff.AddMinutes(i))).ToList();
        var otherGroup = Entry("other", cutoff.AddDays(-30));
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LedgerDbContext>();
            db.AddRange([.. old, .. recent, otherGroup]);
            await db.SaveChangesAsync();
        }

        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LedgerDbContext>();
            Assert.Equal(3, await StreamInbox.PruneAsync(db, "ledger", cutoff, 3, CancellationToken.None));
            // The oldest went first.
            var left = await db.Set<StreamInboxEntry>().AsNoTracking().Where(e => e.ConsumerGroup == "ledger").Select(e => e.EventId).ToListAsync();
            Assert.Equal(old.Take(2).Select(e => e.EventId).Concat(recent.Select(e => e.EventId)).Order(), left.Order());
            Assert.Equal(2, await StreamInbox.PruneAsync(db, "ledger", cutoff, 3, CancellationToken.None));
            Assert.Equal(0, await StreamInbox.PruneAsync(db, "ledger", cutoff, 3, CancellationToken.None));
            var all = await db.Set<StreamInboxEntry>().AsNoTracking().Select(e => e.EventId).ToListAsync();
            Assert.Equal(recent.Select(e => e.EventId).Append(otherGroup.EventId).Order(), all.Order());
        }

        await TestDatabases.DropAsync(host.Services, options);
    }

    static StreamInboxEntry Entry(string group, DateTimeOffset receivedAt) =>
        new() { ConsumerGroup = group, EventId = Guid.NewGuid(), ReceivedAt = receivedAt.ToUnixTimeMilliseconds() };

    [Fact]
    public async Task A_running_group_removes_its_expired_records_every_interval()
    {
        var options = TestDatabases.For(DatabaseProvider.Sqlite);
        var file = Path.Combine(Path.GetTempPath(), "gc-consumers-tests", Guid.NewGuid().ToString("N"), "streams.db");
        await using var host = await StreamTestHost.StartAsync(options, file, ["ledger"], inboxPruneInterval: TimeSpan.FromSeconds(1));
        // Longer ago than any retention (the embedded default keeps a day) plus the day's margin; and one from now.
        var expired = Entry("ledger", DateTimeOffset.UtcNow.AddDays(-30));
        var current = Entry("ledger", DateTimeOffset.UtcNow);
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LedgerDbContext>();
            db.AddRange(expired, current);
            await db.SaveChangesAsync();
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        List<Guid> left;
        do
        {
            await Task.Delay(200);
            await using var scope = host.Services.CreateAsyncScope();
            left = await scope.ServiceProvider.GetRequiredService<LedgerDbContext>().Set<StreamInboxEntry>().AsNoTracking()
                .Select(e => e.EventId).ToListAsync();
        }
        while (left.Contains(expired.EventId) && DateTime.UtcNow < deadline);

        Assert.Equal([current.EventId], left);
        await TestDatabases.DropAsync(host.Services, options);
    }
}
