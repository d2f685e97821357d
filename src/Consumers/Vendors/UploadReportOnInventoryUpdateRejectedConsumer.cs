using GlobalCommerce.Contracts.Inventory;
using GlobalCommerce.Platform.Persistence;
using GlobalCommerce.Platform.Streams;
using Microsoft.EntityFrameworkCore;

namespace GlobalCommerce.Consumers.Vendors;

// Consumer group "vendor": a row inventory refused moves from accepted to rejected in its upload's report, with the
// reason. A copy of the event finds the row already rejected.
public sealed class UploadReportOnInventoryUpdateRejectedConsumer(VendorDbContext db) : IStreamConsumer<InventoryUpdateRejected>
{
    public async Task Consume(StreamContext<InventoryUpdateRejected> context)
    {
        var rejected = context.Message;
        var ct = context.CancellationToken;
        if (await db.UploadRejections.AnyAsync(r => r.UploadId == rejected.UploadId && r.Line == rejected.Line, ct)
            || !await db.Uploads.AnyAsync(u => u.Id == rejected.UploadId && u.VendorId == rejected.VendorId, ct))
            return;

        // Written first, so that on SQLite the transaction holds the write lock before anything else.
        await using var transaction = await DomainTransaction.BeginAsync(db, ct);
        db.UploadRejections.Add(new UploadRejection
        {
            UploadId = rejected.UploadId,
            Line = rejected.Line,
            Code = RejectionCodes.BelowReserved,
            Reason = "Refused by inventory: " + rejected.Reason,
            Sku = ReportText.Neutralize(rejected.Sku),
            Warehouse = ReportText.Neutralize(rejected.Warehouse),
        });
        await db.SaveChangesAsync(ct);
        await db.Uploads.Where(u => u.Id == rejected.UploadId)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.Accepted, u => u.Accepted - 1).SetProperty(u => u.Rejected, u => u.Rejected + 1), ct);
        await transaction.CommitAsync(ct);
    }
}
