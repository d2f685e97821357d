using GlobalCommerce.Consumers.Inventory;
using GlobalCommerce.Consumers.Tests.Streams;
using GlobalCommerce.Consumers.Tests.Support;
using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Platform;
using GlobalCommerce.Platform.Messaging;
using GlobalCommerce.Platform.Streams;
using Facts = GlobalCommerce.Contracts.Streams;

namespace GlobalCommerce.Consumers.Tests.Inventory;

// inventory-events: one fact per order line, keyed by SKU, produced with the stock change that states it and
// read once by a consumer group; redeliveries and rolled back attempts add none.
public class InventoryFactsTests
{
    static Task<ConsumerTestHost> StartAsync(DatabaseProvider provider, FailAfterProduce? failure = null) =>
        FactProbe.StartAsync<InventoryDbContext>(provider, StreamNames.InventoryEvents,
            (bus, configuration, options) => bus.AddInventory(configuration, options), failure);

    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Reserving_committing_and_releasing_produce_a_fact_per_line_once_and_redeliveries_none(DatabaseProvider provider)
    {
        await using var host = await StartAsync(provider);
        var headphones = await host.StockAsync(onHand: 10);
        // Headphones are stocked in a tracked warehouse under their SKU; the books' warehouses are not tracked.
        await host.SaveAsync<InventoryDbContext>(new WarehouseStock
        {
            ProductId = headphones, Warehouse = WarehouseStock.DefaultWarehouse, Sku = "AUD-001", Quantity = 10, UpdatedAt = DateTimeOffset.UtcNow,
        });
        var books = await host.StockAsync(onHand: 10);
        var paid = Guid.NewGuid();
        var abandoned = Guid.NewGuid();
        var refused = Guid.NewGuid();

        for (var delivery = 1; delivery <= 2; delivery++)
        {
            await host.ReserveAsync(paid, (headphones, 2), (books, 3));
            await host.ReservedAsync(paid, delivery);
        }

        await host.ReserveAsync(refused, (books, 50));
        await host.ReservationFailedAsync(refused);
        for (var delivery = 1; delivery <= 2; delivery++)
        {
            await host.SendAsync(QueueNames.CommitInventory, new CommitInventory { OrderId = paid });
            await host.WaitForConsumedAsync<CommitInventory>(m => m.OrderId == paid, delivery);
        }

        await host.SendAsync(QueueNames.ReleaseInventory, new ReleaseInventory { OrderId = paid, Reason = "Order cancelled" });
        await host.WaitForPublishedAsync<InventoryReleased>(m => m.OrderId == paid);
        await host.ReserveAsync(abandoned, (books, 1));
        await host.ReservedAsync(abandoned);
        for (var delivery = 1; delivery <= 2; delivery++)
        {
            await host.SendAsync(QueueNames.ReleaseInventory, new ReleaseInventory { OrderId = abandoned, Reason = "Order failed" });
            await host.WaitForPublishedAsync<InventoryReleased>(m => m.OrderId == abandoned, delivery);
        }

        var facts = await host.WaitForFactsAsync(paid, 6);
        Assert.All(facts, f => Assert.Equal(
            (StreamNames.InventoryEvents, Line(f.Message).ProductId == headphones ? "AUD-001" : books.ToString(), Line(f.Message).ProductId == headphones ? "AUD-001" : null),
            (f.Stream, f.Key, Sku(f.Message))));
        Assert.Equal(
            [
                ("InventoryCommitted", headphones, 2, false), ("InventoryCommitted", books, 3, false),
                ("InventoryReleased", headphones, 2, true), ("InventoryReleased", books, 3, true),
                ("InventoryReserved", headphones, 2, false), ("InventoryReserved", books, 3, false),
            ],
            facts.Select(f => Line(f.Message)).OrderBy(l => l.Type, StringComparer.Ordinal).ThenBy(l => l.ProductId == books));
        // Per product, in the order it happened (one key, one partition).
        Assert.Equal(["InventoryReserved", "InventoryCommitted", "InventoryReleased"],
            facts.Where(f => f.Key == books.ToString()).Select(f => Line(f.Message).Type));
        Assert.Equal([("InventoryReserved", books, 1, false), ("InventoryReleased", books, 1, false)],
            (await host.WaitForFactsAsync(abandoned, 2)).Select(f => Line(f.Message)));
        Assert.Empty(host.Facts(refused));
        Assert.Equal(0, await host.UndeliveredAsync<InventoryDbContext>());
    }

    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task A_reservation_that_rolls_back_after_producing_reaches_no_consumer_group_and_its_retry_does_once(DatabaseProvider provider)
    {
        var failure = new FailAfterProduce(failures: 1);
        await using var host = await StartAsync(provider, failure);
        var headphones = await host.StockAsync(onHand: 10);
        var books = await host.StockAsync(onHand: 10);
        var orderId = Guid.NewGuid();

        await host.ReserveAsync(orderId, (headphones, 2), (books, 3));
        await host.ReservedAsync(orderId);

        var read = await host.WaitForFactsAsync(orderId, 2);
        Assert.Equal(1, failure.Failed);
        Assert.Equal(2, failure.RolledBack.Count);
        Assert.Equal(new[] { ("InventoryReserved", headphones, 2, false), ("InventoryReserved", books, 3, false) }.OrderBy(l => l.Item2),
            read.Select(f => Line(f.Message)).OrderBy(l => l.ProductId));
        Assert.All(read, f => Assert.DoesNotContain(f.EventId, failure.RolledBack));
        Assert.Equal(2, (await host.StockItemAsync(headphones)).Reserved);
        Assert.Equal(3, (await host.StockItemAsync(books)).Reserved);
        Assert.Equal(0, await host.UndeliveredAsync<InventoryDbContext>());
    }

    static string? Sku(object fact) => fact switch
    {
        Facts.InventoryReserved r => r.Sku,
        Facts.InventoryCommitted c => c.Sku,
        Facts.InventoryReleased r => r.Sku,
        _ => throw new InvalidOperationException($"Not an inventory fact: {fact}"),
    };

    static (string Type, Guid ProductId, int Quantity, bool Restocked) Line(object fact) => fact switch
    {
        Facts.InventoryReserved r => (nameof(Facts.InventoryReserved), r.ProductId, r.Quantity, false),
        Facts.InventoryCommitted c => (nameof(Facts.InventoryCommitted), c.ProductId, c.Quantity, false),
        Facts.InventoryReleased r => (nameof(Facts.InventoryReleased), r.ProductId, r.Quantity, r.Restocked),
        _ => throw new InvalidOperationException($"Not an inventory fact: {fact}"),
    };
}
