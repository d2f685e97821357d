using System.Security.Claims;
using GlobalCommerce.Api.Http;
using GlobalCommerce.Api.Identity;
using GlobalCommerce.Api.Problems;
using GlobalCommerce.Consumers.Catalog;
using GlobalCommerce.Platform.Blobs;
using GlobalCommerce.Platform.Persistence;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;
using Microsoft.OpenApi;

namespace GlobalCommerce.Api.Catalog;

// Product images: the owning vendor (or an admin) uploads and deletes them, anyone sees them. Another vendor's product
// answers 404, as a missing one does. The bytes live in the blob store (IBlobStore), their description in product_db;
// an upload writes the blob first and the row after, without a transaction open across the blob call, so a failure in
// between leaves at most an unreferenced blob, which nothing serves (see docs/images.md).
public static partial class ProductImageEndpoints
{
    // A multipart body carries its boundaries and part headers around the image.
    const long MultipartEnvelopeBytes = 64 * 1024;
    const string OctetStream = "application/octet-stream";
    const string Multipart = "multipart/form-data";
    static readonly string[] ImageTypes = [.. ImageKind.All.Select(kind => kind.ContentType)];
    static readonly TimeSpan BrowserCacheLifetime = TimeSpan.FromDays(1);

    public static IEndpointRouteBuilder MapProductImages(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<ProductImageOptions>();
        var images = app.MapGroup("/api/products/{id:guid}/images").WithTags("Catalog");
        images.MapPost("/", UploadAsync).WithName("UploadProductImage").RequireAuthorization(Policies.CatalogEditor)
            .WithBodyLimit(options.MaxBytes + MultipartEnvelopeBytes)
            .WithSummary("Add an image to a product (its vendor, or an admin)")
            .WithDescription($"The body is the image itself (image/jpeg, image/png or image/webp) or multipart/form-data with one file part, at "
                + $"most {options.MaxBytes} bytes of image (413 beyond). The type is read from the bytes, never from the header or file name "
                + "(415 when they disagree or are no such image). Images over "
                + $"{options.MaxSide} pixels a side or {options.MaxPixels} pixels in all, and corrupt or truncated files, get 400. The image is "
                + "re-encoded in its format before it is stored, which drops its EXIF (GPS position, camera), IPTC and XMP metadata. At most "
                + $"{options.MaxPerProduct} images a product (409). Another vendor's product answers 404.")
            .Accepts<Stream>(ImageKind.Jpeg.ContentType, [.. ImageTypes.Skip(1), OctetStream, Multipart])
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                if (operation.RequestBody?.Content is { } content)
                {
                    foreach (var type in content.Keys)
                        content[type].Schema = type == Multipart
                            ? new OpenApiSchema
                            {
                                Type = JsonSchemaType.Object,
                                Properties = new Dictionary<string, IOpenApiSchema> { ["file"] = Binary() },
                                Required = new HashSet<string> { "file" },
                            }
                            : Binary();
                }

                return Task.CompletedTask;
            })
            .Produces<ProductImageResponse>(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        images.MapGet("/", ListAsync).WithName("ListProductImages").AllowAnonymous()
            .WithSummary("A product's images in display order, each with a short-lived read URL")
            .WithDescription("url works for anyone until urlExpiresAt (Commerce:Blobs:ReadUrlLifetime); contentUrl is the image through the API, "
                + "cacheable and revalidated by its ETag.")
            .Produces<IReadOnlyList<ProductImageResponse>>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        images.MapGet("/{imageId:guid}", GetContentAsync).WithName("GetProductImage").AllowAnonymous()
            .WithSummary("The image's bytes, with its ETag (If-None-Match answers 304)")
            .Produces<Stream>(StatusCodes.Status200OK, ImageKind.Jpeg.ContentType, ImageKind.Png.ContentType, ImageKind.Webp.ContentType)
            .Produces(StatusCodes.Status304NotModified)
            .ProducesProblem(StatusCodes.Status404NotFound);
        images.MapDelete("/{imageId:guid}", DeleteAsync).WithName("DeleteProductImage").RequireAuthorization(Policies.CatalogEditor)
            .WithSummary("Remove an image from a product (its vendor, or an admin)")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);

        // The read URLs of the local store (and of Azure without an account key) point here; they are signed, so the
        // endpoint is anonymous and serves only what a signature names, until it expires.
        app.MapGet(BlobUrlSigner.PathPrefix + "{container}/{**name}", GetSignedAsync).WithName("GetSignedBlob").WithTags("Catalog").AllowAnonymous()
            .WithSummary("A blob through a signed read URL (as listed with a product's images)")
            .WithDescription("Only as handed out: the expires and signature parameters cover the container, the name and the expiry; an expired "
                + "or altered URL gets 403.")
            .Produces<Stream>(StatusCodes.Status200OK, ImageKind.Jpeg.ContentType, ImageKind.Png.ContentType, ImageKind.Webp.ContentType)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    static OpenApiSchema Binary() => new() { Type = JsonSchemaType.String, Format = "binary" };

    static async Task<IResult> UploadAsync(Guid id, HttpRequest http, ClaimsPrincipal caller, CatalogDbContext catalog, IBlobStore blobs,
        BlobOptions blobOptions, ProductImageOptions options, IProductImageNotifier notifier, TimeProvider clock, ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        if (!await MayEditAsync(id, caller, catalog, cancellationToken))
            return ProblemResults.NotFound("Product", id);
        if (await catalog.Images.CountAsync(i => i.ProductId == id, cancellationToken) >= options.MaxPerProduct)
            return TooMany(options);

        var (bytes, declared, bodyProblem) = await ReadImageAsync(http, options.MaxBytes, cancellationToken);
        if (bodyProblem is not null)
            return bodyProblem;
        var (image, problem) = await ImageIntake.AcceptAsync(bytes!, declared, options, cancellationToken);
        if (problem is not null)
            return problem;

        var imageId = TimeOrderedId.New();
        var blobName = ProductImage.BlobNameOf(id, imageId, image!.Kind.Extension);
        using (var content = new MemoryStream(image.Bytes, writable: false))
        {
            await blobs.PutAsync(ProductImage.Container, blobName, content, image.Kind.ContentType,
                new Dictionary<string, string> { ["productid"] = id.ToString("D"), ["sha256"] = image.Sha256 }, cancellationToken);
        }

        var row = new ProductImage
        {
            Id = imageId,
            ProductId = id,
            BlobName = blobName,
            ContentType = image.Kind.ContentType,
            Width = image.Width,
            Height = image.Height,
            Length = image.Bytes.LongLength,
            Sha256 = image.Sha256,
            CreatedAt = clock.GetUtcNow(),
        };
        if (!await AddRowAsync(catalog, row, options, notifier, cancellationToken))
        {
            await DeleteBlobAsync(blobs, blobName, loggers, CancellationToken.None);
            return TooMany(options);
        }

        LogStored(loggers.CreateLogger(typeof(ProductImageEndpoints)), imageId, id, row.ContentType, row.Length);
        return Results.Created($"/api/products/{id}/images/{imageId}", Describe(http, row, blobs, blobOptions));
    }

    // The row takes the next display position. (ProductId, Position) is unique, so two uploads racing for the last free
    // place cannot both pass the limit: the loser re-reads and tries again, or finds the product full.
    // The product's announcement (its new image list) commits with the row; a concurrent change of the product is a conflict
    // on its revision, and the next attempt re-reads.
    static async Task<bool> AddRowAsync(CatalogDbContext catalog, ProductImage row, ProductImageOptions options, IProductImageNotifier notifier,
        CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var positions = await catalog.Images.AsNoTracking().Where(i => i.ProductId == row.ProductId).Select(i => i.Position)
                .ToListAsync(cancellationToken);
            if (positions.Count >= options.MaxPerProduct)
                return false;
            row.Position = positions.Count == 0 ? 0 : positions.Max() + 1;
            catalog.Images.Add(row);
            await notifier.ImagesChangingAsync(catalog, row.ProductId, cancellationToken);
            try
            {
                await catalog.SaveChangesAsync(cancellationToken);
                return true;
            }
            catch (DbUpdateException)
            {
                catalog.ChangeTracker.Clear();
            }
        }

        return false;
    }

    static async Task<IResult> ListAsync(Guid id, HttpRequest http, CatalogDbContext catalog, IBlobStore blobs, BlobOptions blobOptions,
        CancellationToken cancellationToken)
    {
        if (!await catalog.Products.AnyAsync(p => p.Id == id, cancellationToken))
            return ProblemResults.NotFound("Product", id);
        var rows = await catalog.Images.AsNoTracking().Where(i => i.ProductId == id).OrderBy(i => i.Position).ToListAsync(cancellationToken);
        return Results.Ok(rows.Select(row => Describe(http, row, blobs, blobOptions)).ToList());
    }

    static async Task<IResult> GetContentAsync(Guid id, Guid imageId, HttpContext http, CatalogDbContext catalog, IBlobStore blobs,
        CancellationToken cancellationToken)
    {
        var row = await catalog.Images.AsNoTracking().SingleOrDefaultAsync(i => i.Id == imageId && i.ProductId == id, cancellationToken);
        if (row is null)
            return ProblemResults.NotFound("Image", imageId);

        // An image id never gets other bytes, so its hash is a strong validator and browsers may keep it a day.
        var eTag = new EntityTagHeaderValue($"\"{row.Sha256}\"");
        if (http.Request.GetTypedHeaders().IfNoneMatch is { Count: > 0 } ifNoneMatch
            && ifNoneMatch.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(eTag, useStrongComparison: false)))
        {
            Cacheable(http, eTag);
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        var blob = await blobs.GetAsync(ProductImage.Container, row.BlobName, cancellationToken);
        if (blob is null)
            return ProblemResults.NotFound("Image", imageId);
        Cacheable(http, eTag);
        return Serve(http, blob, row.ContentType);
    }

    static void Cacheable(HttpContext http, EntityTagHeaderValue eTag)
    {
        var headers = http.Response.GetTypedHeaders();
        headers.ETag = eTag;
        headers.CacheControl = new CacheControlHeaderValue { Public = true, MaxAge = BrowserCacheLifetime };
    }

    static async Task<IResult> DeleteAsync(Guid id, Guid imageId, ClaimsPrincipal caller, CatalogDbContext catalog, IBlobStore blobs,
        IProductImageNotifier notifier, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (!await MayEditAsync(id, caller, catalog, cancellationToken))
            return ProblemResults.NotFound("Product", id);
        var row = await catalog.Images.SingleOrDefaultAsync(i => i.Id == imageId && i.ProductId == id, cancellationToken);
        if (row is null)
            return ProblemResults.NotFound("Image", imageId);

        // The row first: once it is gone nothing serves or lists the image, and a blob left behind is only garbage.
        catalog.Images.Remove(row);
        await notifier.ImagesChangingAsync(catalog, id, cancellationToken);
        await catalog.SaveChangesAsync(cancellationToken);
        await DeleteBlobAsync(blobs, row.BlobName, loggers, CancellationToken.None);
        return Results.NoContent();
    }

    static async Task<IResult> GetSignedAsync(string container, string name, string? expires, string? signature, HttpContext http,
        BlobUrlSigner signer, IBlobStore blobs, TimeProvider clock, CancellationToken cancellationToken)
    {
        var check = signer.Check(container, name, expires, signature);
        if (check != SignedUrlCheck.Valid)
        {
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, type: ProblemTypes.InvalidSignedUrl,
                title: check == SignedUrlCheck.Expired ? "The link has expired" : "The link is not valid",
                detail: "Read URLs work only as handed out and until they expire: list the product's images again for a fresh one.");
        }

        var blob = await blobs.GetAsync(container, name, cancellationToken);
        if (blob is null)
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, type: ProblemTypes.NotFound, title: "Blob not found",
                detail: "Nothing is stored under this name any more.");
        var remaining = DateTimeOffset.FromUnixTimeSeconds(long.Parse(expires!, System.Globalization.CultureInfo.InvariantCulture)) - clock.GetUtcNow();
        var headers = http.Response.GetTypedHeaders();
        headers.ETag = EntityTagHeaderValue.Parse(blob.ETag);
        headers.CacheControl = new CacheControlHeaderValue { Private = true, MaxAge = remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero };
        return Serve(http, blob, blob.ContentType);
    }

    // Never rendered as anything but the image type it was stored as (nosniff); the bytes come straight from the store.
    static IResult Serve(HttpContext http, BlobContent blob, string contentType)
    {
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.ContentLength = blob.Length;
        return Results.Stream(blob.Content, contentType);
    }

    static async Task<bool> MayEditAsync(Guid productId, ClaimsPrincipal caller, CatalogDbContext catalog, CancellationToken cancellationToken)
    {
        var owner = await catalog.Products.AsNoTracking().Where(p => p.Id == productId).Select(p => (Guid?)p.VendorId)
            .SingleOrDefaultAsync(cancellationToken);
        if (owner is null)
            return false;
        return caller.IsInRole(Roles.Admin)
            || (caller.IsInRole(Roles.Vendor) && Guid.TryParse(caller.FindFirstValue("sub"), out var vendor) && vendor == owner);
    }

    // The image alone, however it came: the raw body, or the one file part of a multipart form. declared is the media type
    // that came with it, which the bytes must agree with.
    static async Task<(byte[]? Bytes, string? Declared, IResult? Problem)> ReadImageAsync(HttpRequest http, long limit, CancellationToken cancellationToken)
    {
        try
        {
            if (!MediaTypeHeaderValue.TryParse(http.ContentType, out var type) || !type.MediaType.Equals(Multipart, StringComparison.OrdinalIgnoreCase))
                return (await ReadAllAsync(http.Body, limit, cancellationToken), type?.MediaType.Value, null);

            var boundary = HeaderUtilities.RemoveQuotes(type.Boundary).Value;
            if (string.IsNullOrEmpty(boundary))
                return (null, null, Invalid("The multipart body names no boundary."));
            var reader = new MultipartReader(boundary, http.Body);
            (byte[] Bytes, string? Type)? file = null;
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.IsFileDisposition())
                    continue;
                if (file is not null)
                    return (null, null, Invalid("Send one image per request: the form has more than one file part."));
                file = (await ReadAllAsync(section.Body, limit, cancellationToken), section.ContentType);
            }

            return file is { } found ? (found.Bytes, found.Type, null) : (null, null, Invalid("The form has no file part."));
        }
        catch (Exception exception) when (exception is BodyTooLargeException
            || (exception is BadHttpRequestException bad && bad.StatusCode == StatusCodes.Status413PayloadTooLarge))
        {
            return (null, null, RequestBodyLimits.TooLarge(limit));
        }
        catch (InvalidDataException)
        {
            return (null, null, Invalid("The multipart body is malformed."));
        }
    }

    static async Task<byte[]> ReadAllAsync(Stream body, long limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await using var limited = new LimitedStream(body, limit);
        await limited.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    static IResult Invalid(string message) => ProblemResults.Validation(new Dictionary<string, string[]> { ["file"] = [message] });

    static IResult TooMany(ProductImageOptions options) => ProblemResults.Conflict(ProblemTypes.TooManyImages, "Too many images",
        $"A product has at most {options.MaxPerProduct} images: delete one first.");

    static ProductImageResponse Describe(HttpRequest http, ProductImage row, IBlobStore blobs, BlobOptions blobOptions)
    {
        var read = blobs.GetReadUrl(ProductImage.Container, row.BlobName, blobOptions.ReadUrlLifetime);
        var self = new Uri($"{http.Scheme}://{http.Host}{http.PathBase}/");
        return new ProductImageResponse(row.Id, row.ContentType, row.Width, row.Height, row.Length, row.Position, row.Sha256,
            new Uri(self, $"api/products/{row.ProductId}/images/{row.Id}").ToString(),
            (read.Url.IsAbsoluteUri ? read.Url : new Uri(self, read.Url.ToString().TrimStart('/'))).ToString(), read.ExpiresAt);
    }

    static async Task DeleteBlobAsync(IBlobStore blobs, string name, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        try
        {
            await blobs.DeleteAsync(ProductImage.Container, name, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogBlobLeft(loggers.CreateLogger(typeof(ProductImageEndpoints)), exception, name);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stored image {ImageId} of product {ProductId} ({ContentType}, {Length} bytes)")]
    static partial void LogStored(ILogger logger, Guid imageId, Guid productId, string contentType, long length);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete blob {BlobName}: it stays as unreferenced garbage")]
    static partial void LogBlobLeft(ILogger logger, Exception exception, string blobName);
}

// url: a short-lived read URL (until urlExpiresAt); contentUrl: the image through the API, for caches. sha256 is the
// ETag's value.
public sealed record ProductImageResponse(Guid Id, string ContentType, int Width, int Height, long Length, int Position, string Sha256,
    string ContentUrl, string Url, DateTimeOffset UrlExpiresAt);
