namespace GlobalCommerce.Consumers.Vendors;

// One inventory file a vendor sent, and how far its processing has got. The spooled file is read in chunks; each chunk
// commits its rows' events, rejections and the new position together, so a restart resumes after the last chunk.
public class InventoryUpload
{
    public Guid Id { get; set; }

    public Guid VendorId { get; set; }

    public UploadStatus Status { get; set; }

    public UploadFormat Format { get; set; }

    public long TotalBytes { get; set; }

    // Where the next chunk starts in the spooled file, and the line it starts on.
    public long ProcessedBytes { get; set; }

    public int NextLine { get; set; }

    public int RowsRead { get; set; }

    public int Accepted { get; set; }

    public int Rejected { get; set; }

    public int Attempts { get; set; }

    public string? FailureReason { get; set; }

    public DateTimeOffset ReceivedAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }
}

public enum UploadStatus
{
    Queued,
    Processing,
    Completed,
    Failed,
}

// CSV as sent; JSON arrays are spooled as JSON Lines (one row per line), so both are read and resumed the same way.
public enum UploadFormat
{
    Csv,
    JsonLines,
}

// A row refused, with why: by validation while the upload was processed, or later by inventory (reservations).
public class UploadRejection
{
    public Guid UploadId { get; set; }

    public int Line { get; set; }

    public required string Code { get; set; }

    public required string Reason { get; set; }

    // As the vendor sent them, made safe to open in a spreadsheet (ReportText).
    public string? Sku { get; set; }

    public string? Warehouse { get; set; }
}

// Every (SKU, warehouse) an upload has named so far, with its first line: a later row naming it again is a duplicate.
// Kept in the database rather than in memory, so an upload of any size is checked in bounded memory and a resumed
// upload still knows the rows before the restart. Deleted when the upload ends.
public class UploadKey
{
    public Guid UploadId { get; set; }

    // The SKU and the warehouse joined by a unit separator, which no warehouse code contains: one indexed column, so a
    // chunk asks for exactly its own keys.
    public required string Key { get; set; }

    public int Line { get; set; }

    public static string Of(string sku, string warehouse) => sku + "\u001f" + warehouse;
}

// The last InventoryUpdated version given to a SKU. Bumped in the transaction that produces the event, checked on the
// old value (optimistic concurrency), so two uploads racing on one SKU cannot hand out the same version.
public class SkuVersion
{
    public required string Sku { get; set; }

    public long Version { get; set; }
}

// A warehouse's stock of a SKU fell below the vendor's reorder point (ReorderPointReached, once per crossing).
public class ReorderAlert
{
    // The event's id: a copy of the event is the same alert.
    public Guid Id { get; set; }

    public Guid VendorId { get; set; }

    public Guid ProductId { get; set; }

    public required string Sku { get; set; }

    public required string Warehouse { get; set; }

    public int Quantity { get; set; }

    public int ReorderPoint { get; set; }

    public required string Cause { get; set; }

    public DateTimeOffset RaisedAt { get; set; }
}
