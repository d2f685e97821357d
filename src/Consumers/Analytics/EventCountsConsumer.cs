using GlobalCommerce.Contracts.Streams;
using GlobalCommerce.Platform.Streams;

namespace GlobalCommerce.Consumers.Analytics;

// The analytics group's reader of all four streams (the seed of flow 6): every fact counted once per (stream, type,
// UTC hour), the lifecycle facts and the vendor flow's alike, and the order facts into their UTC day's funnel too. A
// batch is one transaction with its StreamInbox rows, so a batch read again after a crash, or an event a relay produced
// twice, is never counted twice.
public sealed class EventCountsConsumer(AnalyticsDbContext db, TimeProvider clock) :
    IStreamBatchConsumer<OrderCreated>, IStreamBatchConsumer<OrderConfirmed>, IStreamBatchConsumer<OrderFailed>,
    IStreamBatchConsumer<OrderCancelled>, IStreamBatchConsumer<OrderCompleted>,
    IStreamBatchConsumer<PaymentProcessed>, IStreamBatchConsumer<PaymentDeclined>, IStreamBatchConsumer<PaymentRefunded>,
    IStreamBatchConsumer<InventoryReserved>, IStreamBatchConsumer<InventoryCommitted>, IStreamBatchConsumer<InventoryReleased>,
    IStreamBatchConsumer<UserLoggedIn>, IStreamBatchConsumer<LoginFailed>, IStreamBatchConsumer<UserLockedOut>,
    IStreamBatchConsumer<AccessTokenRefreshed>, IStreamBatchConsumer<RefreshTokenReused>,
    IStreamBatchConsumer<Contracts.Inventory.InventoryUpdated>, IStreamBatchConsumer<Contracts.Inventory.InventoryUpdateRejected>,
    IStreamBatchConsumer<Contracts.Inventory.ReorderPointReached>, IStreamBatchConsumer<Contracts.Analytics.StockLevelReported>,
    IStreamBatchConsumer<SearchPerformed>, IStreamBatchConsumer<Contracts.Catalog.ProductChanged>
{
    public Task Consume(StreamBatch<OrderCreated> batch) => CountAsync(batch, FunnelStage.Created);

    public Task Consume(StreamBatch<OrderConfirmed> batch) => CountAsync(batch, FunnelStage.Confirmed);

    public Task Consume(StreamBatch<OrderFailed> batch) => CountAsync(batch, FunnelStage.Failed);

    public Task Consume(StreamBatch<OrderCancelled> batch) => CountAsync(batch, FunnelStage.Cancelled);

    public Task Consume(StreamBatch<OrderCompleted> batch) => CountAsync(batch, FunnelStage.Completed);

    public Task Consume(StreamBatch<PaymentProcessed> batch) => CountAsync(batch);

    public Task Consume(StreamBatch<PaymentDeclined> batch) => CountAsync(batch);

    public Task Consume(StreamBatch<PaymentRefunded> batch) => CountAsync(batch);

    public Task Consume(StreamBatch<InventoryReserved> batch) => CountAsync(batch);

    public Task Consume(StreamBatch<InventoryCommitted> batch) => CountAsync(batch);

    public Task Consume(StreamBatch<InventoryReleased> batch) => CountAsync(batch);

    public Task Consume(StreamBatch<UserLoggedIn> batch) => CountAsync(batch);

    public Task Consume(StreamBatch<LoginFailed> batch) => CountAsync(batch);

    public Task Consume(StreamBatch<UserLockedOut> batch) => CountAsync(batch);

    public Task Consume(StreamBatch<AccessTokenRefreshed> batch) => CountAsync(batch);

    public Task Consume(StreamBatch<RefreshTokenReused> batch) => CountAsync(batch);

    public Task Consume(StreamBatch<Contracts.Inventory.InventoryUpdated> batch) => CountAsync(batch);

    public Task Consume(StreamBatch<Contracts.Inventory.InventoryUpdateRejected> batch) => CountAsync(batch);

    public Task Consume(StreamBatch<Contracts.Inventory.ReorderPointReached> batch) => CountAsync(batch);

    public Task Consume(StreamBatch<Contracts.Analytics.StockLevelReported> batch) => CountAsync(batch);

    public Task Consume(StreamBatch<SearchPerformed> batch) => CountAsync(batch);

    public Task Consume(StreamBatch<Contracts.Catalog.ProductChanged> batch) => CountAsync(batch);

    async Task CountAsync<T>(StreamBatch<T> batch, FunnelStage? stage = null)
        where T : class
    {
        var ct = batch.CancellationToken;
        // The group commits its partitions' batches together (CommitTogether): inside that transaction, or in its own.
        await using var transaction = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(ct) : null;
        // The inbox rows are written first: a host racing for the same events during a lease hand-over fails there,
        // before it has added anything, and its retry finds them seen.
        var fresh = await StreamInbox.FirstSeenAsync(db, batch, clock);
        if (fresh.Count > 0)
        {
            foreach (var hour in fresh.GroupBy(e => (e.Stream, Hour: AnalyticsCounts.HourOf(e.Timestamp))).OrderBy(g => g.Key.Stream).ThenBy(g => g.Key.Hour))
                await AnalyticsCounts.AddEventsAsync(db, hour.Key.Stream, typeof(T).Name, hour.Key.Hour, hour.Count(), ct);
            if (stage is { } funnel)
            {
                foreach (var day in fresh.GroupBy(e => DateOnly.FromDateTime(e.Timestamp.UtcDateTime)).OrderBy(g => g.Key))
                    await AnalyticsCounts.AddToFunnelAsync(db, day.Key, funnel, day.Count(), ct);
            }
        }

        if (transaction is not null)
            await transaction.CommitAsync(ct);
    }
}
