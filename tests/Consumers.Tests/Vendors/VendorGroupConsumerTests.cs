using GlobalCommerce.Consumers.Notifications;
using GlobalCommerce.Consumers.Tests.Support;
using GlobalCommerce.Consumers.Vendors;
using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Platform;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Tests.Vendors;

// The "vendor" group (upload reports, reorder alerts) and the "notifications" group's reorder notice: each event
// changes its record once, however often it is delivered.
public class VendorGroupConsumerTests
{
    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task A_row_inventory_refused_moves_from_accepted_to_rejected_once(DatabaseProvider provider)
    {
        await using var host = await InventorySyncHost.StartAsync(provider);
        var upload = new InventoryUpload
        {
            Id = Guid.NewGuid(), VendorId = InventorySyncHost.Vendor, Status = UploadStatus.Completed, RowsRead = 3, Accepted = 3, ReceivedAt = DateTimeOffset.UtcNow,
        };
        await host.SaveAsync<VendorDbContext>(upload);
        var refused = StreamEvents.Event(new InventoryUpdateRejected
        {
            VendorId = upload.VendorId, UploadId = upload.Id, Line = 3, ProductId = Guid.NewGuid(), Sku = "=SUM(A1)", Warehouse = "BER", Quantity = 1,
            OnHand = 1, Reserved = 4, Reason = "1 in this warehouse would leave 1 on hand", Version = 2, OccurredAt = DateTimeOffset.UtcNow,
        }, "=SUM(A1)");

        await host.ConsumeEachAsync<UploadReportOnInventoryUpdateRejectedConsumer, InventoryUpdateRejected>(refused, refused);

        var (stored, rejections) = await host.QueryAsync<VendorDbContext, (InventoryUpload, List<UploadRejection>)>(async db =>
            (await db.Uploads.AsNoTracking().SingleAsync(u => u.Id == upload.Id), await db.UploadRejections.AsNoTracking().ToListAsync()));
        Assert.Equal((2, 1), (stored.Accepted, stored.Rejected));
        var rejection = Assert.Single(rejections);
        Assert.Equal((3, RejectionCodes.BelowReserved, "'=SUM(A1)"), (rejection.Line, rejection.Code, rejection.Sku));
        Assert.Contains("would leave 1 on hand", rejection.Reason);
    }

    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task A_reorder_crossing_is_one_alert_and_one_notice_to_the_vendor_however_often_it_is_read(DatabaseProvider provider)
    {
        await using var host = await InventorySyncHost.StartAsync(provider);
        var reached = StreamEvents.Event(new ReorderPointReached
        {
            VendorId = InventorySyncHost.Vendor, ProductId = Guid.NewGuid(), Sku = "AUD-HP-001", Warehouse = "BER", Quantity = 2, ReorderPoint = 5,
            Cause = ReorderPointReached.CauseOrders, OccurredAt = DateTimeOffset.UtcNow,
        }, "AUD-HP-001");

        // A copy in the same batch (a relay that produced it twice), then the batch read again (after a crash).
        await host.ConsumeAsync<ReorderAlertOnReorderPointReachedConsumer, ReorderPointReached>(reached, reached);
        await host.ConsumeAsync<ReorderAlertOnReorderPointReachedConsumer, ReorderPointReached>(reached);
        await host.ConsumeAsync<ReorderNoticeOnReorderPointReachedConsumer, ReorderPointReached>(reached, reached);
        await host.ConsumeAsync<ReorderNoticeOnReorderPointReachedConsumer, ReorderPointReached>(reached);

        var alert = Assert.Single(await host.QueryAsync<VendorDbContext, List<ReorderAlert>>(db => db.ReorderAlerts.AsNoTracking().ToListAsync()));
        Assert.Equal((reached.EventId, InventorySyncHost.Vendor, 2, 5, "orders"), (alert.Id, alert.VendorId, alert.Quantity, alert.ReorderPoint, alert.Cause));
        var notice = Assert.Single(await host.QueryAsync<NotificationsDbContext, List<OutboundMessage>>(db => db.OutboundMessages.AsNoTracking().ToListAsync()));
        Assert.Equal((reached.EventId, NotificationKinds.ReorderAlert, InventorySyncHost.Vendor.ToString()), (notice.SubjectId, notice.Kind, notice.Recipient));
        Assert.Contains("AUD-HP-001", notice.Subject);
    }
}
