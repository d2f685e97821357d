using System.Text.Json.Serialization;

namespace GlobalCommerce.Api.Vendors;

public sealed record UploadAccepted(Guid UploadId, string Status);

public sealed record UploadStatusResponse(
    Guid UploadId,
    string Status,
    string Format,
    long TotalBytes,
    int Progress,
    int RowsRead,
    int Accepted,
    int Rejected,
    DateTimeOffset ReceivedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    string? FailureReason,
    RejectedRowsPage Rejections);

// A page of the upload's rejected rows in line order; pass NextAfter as rejectionsAfter for the next one.
public sealed record RejectedRowsPage(int Total, IReadOnlyList<RejectedRow> Items, int? NextAfter);

public sealed record RejectedRow(int Line, string Code, string Reason, string? Sku, string? Warehouse);

public sealed record UploadSummary(Guid UploadId, string Status, string Format, int Progress, int RowsRead, int Accepted, int Rejected,
    DateTimeOffset ReceivedAt, DateTimeOffset? CompletedAt);

public sealed record ReorderAlertResponse(Guid AlertId, Guid ProductId, string Sku, string Warehouse, int Quantity, int ReorderPoint, string Cause,
    DateTimeOffset RaisedAt);

public sealed record ReorderAlertPage(IReadOnlyList<ReorderAlertResponse> Items, string? NextCursor);

// One row of a JSON upload (the same five columns as a CSV header names); numbers may also be sent as strings.
public sealed record InventoryRowRequest(string? Sku, string? Warehouse, int? Quantity, decimal? Price,
    [property: JsonPropertyName("reorder_point")] int? ReorderPoint);
