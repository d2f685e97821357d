using GlobalCommerce.Consumers.Tests.Support;
using GlobalCommerce.Platform;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalCommerce.Consumers.Tests.Streams;

// Event ids grow with time in the order the database sorts them (SQLite: EF Core's upper-case text; PostgreSQL: uuid
// bytes), so the inbox records of each batch go to the end of the (group, event id) key instead of a random page each:
// with random-looking ids a batch of 500 dirtied hundreds of pages and SQLite wrote each one to its log at commit.
public class StreamEventIdTests
{
    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Event_ids_sort_in_the_order_the_events_were_produced(DatabaseProvider provider)
    {
        var options = TestDatabases.For(provider);
        var file = Path.Combine(Path.GetTempPath(), "gc-consumers-tests", Guid.NewGuid().ToString("N"), "streams.db");
        await using var host = await StreamTestHost.StartAsync(options, file, ["ledger"]);
        // One account: one partition, so the group's deliveries come in the order the events were produced. Several
        // transactions a few milliseconds apart, so the ids span clock ticks as well as a counter within one.
        for (var round = 0; round < 4; round++)
        {
            await host.ProduceAsync(Enumerable.Range(round * 250, 250).Select(i => new LedgerEvent("acct-1", i)));
            await Task.Delay(5);
        }

        var entries = await host.WaitForEntriesAsync("ledger", 1000);
        Assert.Equal(Enumerable.Range(0, 1000), entries.Select(e => e.Sequence));
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LedgerDbContext>();
            var produced = await db.Deliveries.AsNoTracking().OrderBy(d => d.Id).Select(d => d.EventId).ToListAsync();
            var sorted = await db.Deliveries.AsNoTracking().OrderBy(d => d.EventId).Select(d => d.EventId).ToListAsync();
            Assert.Equal(1000, produced.Count);
            Assert.Equal(produced, sorted);
        }

        await TestDatabases.DropAsync(host.Services, options);
    }
}
