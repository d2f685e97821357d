using System.Security.Claims;
using System.Text.Json;
using GlobalCommerce.Api.Http;
using GlobalCommerce.Api.Identity;
using GlobalCommerce.Api.Problems;
using GlobalCommerce.Consumers.Vendors;
using GlobalCommerce.Platform.Persistence;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.OpenApi;

namespace GlobalCommerce.Api.Vendors;

// A vendor's own inventory: uploads (CSV or a JSON array), their reports, and reorder alerts. Everything is the
// caller's: another vendor's upload answers 404, as a missing one does.
public static class VendorEndpoints
{
    public const string CsvMediaType = "text/csv";
    const int DefaultRejectionPage = 100;
    const int MaxRejectionPage = 1000;
    const int DefaultAlertPage = 50;
    const int MaxAlertPage = 200;

    public static IEndpointRouteBuilder MapVendors(this IEndpointRouteBuilder app)
    {
        var limit = app.ServiceProvider.GetRequiredService<VendorUploadOptions>().MaxUploadBytes;
        var vendors = app.MapGroup("/api/vendors/me").WithTags("Vendors").RequireAuthorization(Policies.Vendor);
        vendors.MapPost("/inventory", UploadAsync).WithName("UploadInventory").WithBodyLimit(limit)
            .WithSummary("Upload stock, prices and reorder points (CSV or a JSON array); processing is asynchronous")
            .WithDescription("Columns (a CSV header row is required): sku, warehouse, quantity, price, reorder_point. Answers 202 with the upload id "
                + "and a Location to poll. Rows are checked one by one: good rows are applied, bad ones listed with their line and reason. "
                + $"A missing column refuses the whole upload (400); a body over {limit} bytes is refused with 413 and nothing of it is applied.")
            .Accepts<IReadOnlyList<InventoryRowRequest>>("application/json", CsvMediaType)
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                if (operation.RequestBody?.Content is { } content && content.TryGetValue(CsvMediaType, out var csv))
                    csv.Schema = new OpenApiSchema { Type = JsonSchemaType.String, Description = "CSV with a header row: sku,warehouse,quantity,price,reorder_point" };
                return Task.CompletedTask;
            })
            .Produces<UploadAccepted>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        vendors.MapGet("/inventory/uploads", ListUploadsAsync).WithName("ListInventoryUploads")
            .WithSummary("The caller's uploads, newest first (at most 50)")
            .Produces<IReadOnlyList<UploadSummary>>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        vendors.MapGet("/inventory/uploads/{id:guid}", GetUploadAsync).WithName("GetInventoryUpload")
            .WithSummary("An upload's status, counts, progress and its rejected rows (line and reason), a page at a time")
            .WithDescription($"Rejected rows come in line order, {DefaultRejectionPage} at a time (rejectionsLimit, 1 to {MaxRejectionPage}); pass "
                + "rejections.nextAfter as rejectionsAfter for the next page. A row inventory refuses later (stock below what orders hold) "
                + "moves from accepted to rejected.")
            .Produces<UploadStatusResponse>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
        vendors.MapGet("/reorder-alerts", ListAlertsAsync).WithName("ListReorderAlerts")
            .WithSummary("Warehouses whose stock fell below the caller's reorder point, newest first (one alert per crossing)")
            .WithDescription($"limit 1 to {MaxAlertPage} (default {DefaultAlertPage}); pass nextCursor as cursor for the next page.")
            .Produces<ReorderAlertPage>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        return app;
    }

    static async Task<IResult> UploadAsync(HttpRequest http, ClaimsPrincipal caller, VendorDbContext db, UploadSpool spool, VendorUploadOptions options,
        InventoryUploadProcessor processor, TimeProvider clock, CancellationToken cancellationToken)
    {
        var format = http.HasJsonContentType() ? UploadFormat.JsonLines : IsCsv(http) ? UploadFormat.Csv : (UploadFormat?)null;
        if (format is null)
        {
            return Results.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, type: ProblemTypes.UnsupportedMediaType,
                title: "Send CSV or JSON", detail: $"The body must be {CsvMediaType} (with a header row) or application/json (an array of rows).");
        }

        var uploadId = TimeOrderedId.New();
        var path = spool.PathOf(uploadId, format.Value);
        var queued = false;
        try
        {
            var problem = format == UploadFormat.Csv
                ? await SpoolCsvAsync(spool, path, http.Body, options.MaxUploadBytes, cancellationToken)
                : await SpoolJsonAsync(spool, path, http.Body, options.MaxUploadBytes, cancellationToken);
            if (problem is not null)
                return problem;

            db.Uploads.Add(new InventoryUpload
            {
                Id = uploadId,
                VendorId = VendorOf(caller),
                Status = UploadStatus.Queued,
                Format = format.Value,
                TotalBytes = new FileInfo(path).Length,
                NextLine = format == UploadFormat.Csv ? 2 : 1,
                ReceivedAt = clock.GetUtcNow(),
            });
            await db.SaveChangesAsync(cancellationToken);
            queued = true;
        }
        catch (Exception exception) when (exception is BodyTooLargeException
            || (exception is BadHttpRequestException bad && bad.StatusCode == StatusCodes.Status413PayloadTooLarge))
        {
            return RequestBodyLimits.TooLarge(options.MaxUploadBytes);
        }
        finally
        {
            if (!queued)
                spool.Delete(path);
        }

        processor.Wake();
        return Results.Accepted($"/api/vendors/me/inventory/uploads/{uploadId}", new UploadAccepted(uploadId, Status(UploadStatus.Queued)));
    }

    static bool IsCsv(HttpRequest http) =>
        Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(http.ContentType, out var type)
        && type.MediaType.Equals(CsvMediaType, StringComparison.OrdinalIgnoreCase);

    // The whole body is spooled before the header is judged, so a refused upload costs disk for a moment and no memory.
    static async Task<IResult?> SpoolCsvAsync(UploadSpool spool, string path, Stream body, long limit, CancellationToken cancellationToken)
    {
        await spool.WriteCsvAsync(path, body, limit, cancellationToken);
        await using var reader = (CsvRowReader)await UploadRowReader.OpenAsync(path, UploadFormat.Csv, 0, 2, cancellationToken);
        if (reader.HeaderProblems.Count > 0)
            return Invalid("header", [.. reader.HeaderProblems]);
        if (await reader.ReadAsync(cancellationToken) is null)
            return Invalid("rows", ["The file has a header but no rows."]);
        return null;
    }

    static async Task<IResult?> SpoolJsonAsync(UploadSpool spool, string path, Stream body, long limit, CancellationToken cancellationToken)
    {
        try
        {
            if (await spool.WriteJsonLinesAsync(path, body, limit, cancellationToken) == 0)
                return Invalid("rows", ["The array has no rows."]);
            return null;
        }
        catch (JsonException exception)
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, type: ProblemTypes.MalformedJson, title: "Malformed JSON",
                detail: exception.Path is { Length: > 0 }
                    ? $"Could not read the JSON body at {exception.Path}: it must be an array of row objects."
                    : "Could not read the JSON body: it must be an array of row objects.");
        }
    }

    static IResult Invalid(string field, string[] messages) =>
        ProblemResults.Validation(new Dictionary<string, string[]> { [field] = messages });

    static async Task<IResult> ListUploadsAsync(ClaimsPrincipal caller, VendorDbContext db, CancellationToken cancellationToken)
    {
        var vendorId = VendorOf(caller);
        var uploads = await db.Uploads.AsNoTracking().Where(u => u.VendorId == vendorId)
            .OrderByDescending(u => u.ReceivedAt).ThenByDescending(u => u.Id).Take(50).ToListAsync(cancellationToken);
        return Results.Ok(uploads.Select(u => new UploadSummary(u.Id, Status(u.Status), Format(u.Format), Progress(u), u.RowsRead, u.Accepted, u.Rejected,
            u.ReceivedAt, u.CompletedAt)).ToList());
    }

    static async Task<IResult> GetUploadAsync(Guid id, string? rejectionsAfter, string? rejectionsLimit, ClaimsPrincipal caller, VendorDbContext db,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var after = WholeNumber(rejectionsAfter, 0, 0, int.MaxValue, "rejectionsAfter", errors);
        var size = WholeNumber(rejectionsLimit, DefaultRejectionPage, 1, MaxRejectionPage, "rejectionsLimit", errors);
        if (errors.Count > 0)
            return ProblemResults.Validation(errors);

        var vendorId = VendorOf(caller);
        var upload = await db.Uploads.AsNoTracking().SingleOrDefaultAsync(u => u.Id == id && u.VendorId == vendorId, cancellationToken);
        if (upload is null)
            return ProblemResults.NotFound("Upload", id);

        var page = await db.UploadRejections.AsNoTracking().Where(r => r.UploadId == id && r.Line > after)
            .OrderBy(r => r.Line).Take(size + 1).ToListAsync(cancellationToken);
        var more = page.Count > size;
        var items = page.Take(size).Select(r => new RejectedRow(r.Line, r.Code, r.Reason, r.Sku, r.Warehouse)).ToList();
        return Results.Ok(new UploadStatusResponse(upload.Id, Status(upload.Status), Format(upload.Format), upload.TotalBytes, Progress(upload),
            upload.RowsRead, upload.Accepted, upload.Rejected, upload.ReceivedAt, upload.StartedAt, upload.CompletedAt, upload.FailureReason,
            new RejectedRowsPage(upload.Rejected, items, more ? items[^1].Line : null)));
    }

    static async Task<IResult> ListAlertsAsync(string? limit, string? cursor, ClaimsPrincipal caller, VendorDbContext db, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var size = WholeNumber(limit, DefaultAlertPage, 1, MaxAlertPage, "limit", errors);
        KeysetCursor? from = null;
        if (cursor is not null)
        {
            if (KeysetCursor.TryParse(cursor, out var parsed))
                from = parsed;
            else
                errors["cursor"] = ["Not a cursor this API gave out."];
        }

        if (errors.Count > 0)
            return ProblemResults.Validation(errors);

        var vendorId = VendorOf(caller);
        var query = db.ReorderAlerts.AsNoTracking().Where(a => a.VendorId == vendorId);
        if (from is { } last)
            query = query.Where(a => a.RaisedAt < last.At || (a.RaisedAt == last.At && a.Id.CompareTo(last.Id) < 0));
        var page = await query.OrderByDescending(a => a.RaisedAt).ThenByDescending(a => a.Id).Take(size + 1).ToListAsync(cancellationToken);
        var items = page.Take(size).Select(a => new ReorderAlertResponse(a.Id, a.ProductId, a.Sku, a.Warehouse, a.Quantity, a.ReorderPoint, a.Cause, a.RaisedAt))
            .ToList();
        var next = page.Count > size ? new KeysetCursor(items[^1].RaisedAt, items[^1].AlertId).ToString() : null;
        return Results.Ok(new ReorderAlertPage(items, next));
    }

    static int WholeNumber(string? text, int fallback, int min, int max, string field, Dictionary<string, string[]> errors)
    {
        if (text is null)
            return fallback;
        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
            return value;
        errors[field] = [$"A whole number from {min} to {max}."];
        return fallback;
    }

    static Guid VendorOf(ClaimsPrincipal caller) => Guid.Parse(caller.FindFirstValue("sub")!);

    static string Status(UploadStatus status) => status.ToString().ToLowerInvariant();

    static string Format(UploadFormat format) => format == UploadFormat.Csv ? "csv" : "json";

    static int Progress(InventoryUpload upload) => upload.Status is UploadStatus.Completed ? 100
        : upload.TotalBytes <= 0 ? 0
        : (int)Math.Min(99, upload.ProcessedBytes * 100 / upload.TotalBytes);
}
