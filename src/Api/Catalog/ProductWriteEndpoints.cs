using System.Security.Claims;
using System.Text.RegularExpressions;
using GlobalCommerce.Api.Http;
using GlobalCommerce.Api.Identity;
using GlobalCommerce.Api.Problems;
using GlobalCommerce.Consumers.Catalog;
using GlobalCommerce.Platform.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;

namespace GlobalCommerce.Api.Catalog;

// The catalog's write path: a vendor creates and edits its own products, an admin any product. Each change is one
// transaction in product_db that also holds its ProductChanged (the stream outbox); the search index and the caches follow
// the event, never this request. Stock and prices from inventory uploads reach the product the same way.
public static partial class ProductWriteEndpoints
{
    public static IEndpointRouteBuilder MapProductWrites(this IEndpointRouteBuilder app)
    {
        var products = app.MapGroup("/api/products").WithTags("Catalog").RequireAuthorization(Policies.CatalogEditor);
        products.MapPost("/", CreateAsync).WithName("CreateProduct")
            .WithSummary("Add a product to the catalog (a vendor's own; an admin names the vendor)")
            .WithDescription("Answers 201 with the product and its ETag (its revision). Sending the same product again answers 200 with "
                + "it; another product with a SKU already in the catalog answers 409. It has no stock until an inventory upload "
                + "reports some. Search and cached reads show it once product-events has carried the change.")
            .Accepts<ProductWriteRequest>("application/json")
            .Produces<ProductDetails>(StatusCodes.Status201Created)
            .Produces<ProductDetails>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        products.MapPut("/{id:guid}", UpdateAsync).WithName("UpdateProduct")
            .WithSummary("Replace a product's name, brand, category, description and price")
            .WithDescription("The SKU and the vendor do not change. With If-Match (the ETag of an earlier answer) the edit applies only to "
                + "that revision (412 otherwise). An edit that changes nothing keeps the revision. Another vendor's product answers 404.")
            .Accepts<ProductWriteRequest>("application/json")
            .Produces<ProductDetails>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        return app;
    }

    static async Task<IResult> CreateAsync(HttpRequest http, ClaimsPrincipal caller, CatalogDbContext db, ProductEvents events,
        CancellationToken cancellationToken)
    {
        var (request, problem) = await JsonBody.ReadAsync<ProductWriteRequest>(http, required: true, cancellationToken);
        if (problem is not null || request is null)
            return problem!;
        var errors = Validate(request, creating: true);
        var isAdmin = caller.IsInRole(Roles.Admin);
        Guid vendorId;
        if (isAdmin)
        {
            vendorId = request.VendorId ?? Guid.Empty;
            if (vendorId == Guid.Empty)
                errors["vendorId"] = ["An admin names the vendor the product belongs to."];
        }
        else
        {
            vendorId = UserOf(caller);
            if (request.VendorId is { } named && named != vendorId)
                errors["vendorId"] = ["A vendor adds products of its own only (leave vendorId out)."];
        }

        if (errors.Count > 0)
            return ProblemResults.Validation(errors);

        var sku = request.Sku!.Trim();
        if (await db.Products.AsNoTracking().SingleOrDefaultAsync(p => p.Sku == sku, cancellationToken) is { } existing)
            return Replay(existing, request, vendorId);

        var product = new Product
        {
            Id = TimeOrderedId.New(),
            Sku = sku,
            VendorId = vendorId,
            Name = request.Name!.Trim(),
            Brand = request.Brand!.Trim(),
            Category = request.Category!.Trim(),
            Description = request.Description?.Trim() ?? "",
            Price = request.Price!.Value,
            Currency = request.Currency?.Trim() ?? DemoCatalog.Currency,
        };
        db.Products.Add(product);
        events.Enlist(db);
        await events.AnnounceAsync(product, [], cancellationToken);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another request took the SKU between the check and the insert: answer as if it had come first.
            db.ChangeTracker.Clear();
            if (await db.Products.AsNoTracking().SingleOrDefaultAsync(p => p.Sku == sku, cancellationToken) is { } winner)
                return Replay(winner, request, vendorId);
            throw;
        }

        return Tagged(Results.Created($"/api/products/{product.Id}", ProductDetails.From(product)), product.Revision, http);
    }

    static async Task<IResult> UpdateAsync(Guid id, HttpRequest http, ClaimsPrincipal caller, CatalogDbContext db, ProductEvents events,
        CancellationToken cancellationToken)
    {
        var (request, problem) = await JsonBody.ReadAsync<ProductWriteRequest>(http, required: true, cancellationToken);
        if (problem is not null || request is null)
            return problem!;
        var errors = Validate(request, creating: false);
        if (errors.Count > 0)
            return ProblemResults.Validation(errors);

        var product = await db.Products.SingleOrDefaultAsync(p => p.Id == id, cancellationToken);
        if (product is null || (!caller.IsInRole(Roles.Admin) && product.VendorId != UserOf(caller)))
            return ProblemResults.NotFound("Product", id);
        if (request.Sku is { } sku && sku.Trim() != product.Sku)
            return ProblemResults.Validation(new Dictionary<string, string[]> { ["sku"] = ["The SKU of a product does not change."] });
        if (request.VendorId is { } vendor && vendor != product.VendorId)
            return ProblemResults.Validation(new Dictionary<string, string[]> { ["vendorId"] = ["The vendor of a product does not change."] });
        if (IfMatchFails(http, product.Revision))
            return PreconditionFailed(product.Revision);

        var name = request.Name!.Trim();
        var brand = request.Brand!.Trim();
        var category = request.Category!.Trim();
        var description = request.Description?.Trim() ?? "";
        var price = request.Price!.Value;
        var currency = request.Currency?.Trim() ?? product.Currency;
        if ((product.Name, product.Brand, product.Category, product.Description, product.Price, product.Currency)
            == (name, brand, category, description, price, currency))
            return Tagged(Results.Ok(ProductDetails.From(product)), product.Revision, http);

        (product.Name, product.Brand, product.Category, product.Description, product.Price, product.Currency) =
            (name, brand, category, description, price, currency);
        events.Enlist(db);
        var images = await ProductImageIds.OfAsync(db, [product.Id], cancellationToken);
        await events.AnnounceAsync(product, images.GetValueOrDefault(product.Id, []), cancellationToken);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            // An upload repriced it or another edit landed since it was read: the caller decides again on the new revision.
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, type: ProblemTypes.PreconditionFailed,
                title: "The product changed meanwhile", detail: "Another change of this product was saved first; read it and send the edit again.");
        }

        return Tagged(Results.Ok(ProductDetails.From(product)), product.Revision, http);
    }

    // The same SKU again: the same product by the same vendor is a repeated request (200 with it), anything else a clash.
    static IResult Replay(Product existing, ProductWriteRequest request, Guid vendorId)
    {
        if (existing.VendorId == vendorId && existing.Name == request.Name!.Trim() && existing.Brand == request.Brand!.Trim()
            && existing.Category == request.Category!.Trim() && existing.Description == (request.Description?.Trim() ?? "")
            && existing.Price == request.Price)
            return Results.Ok(ProductDetails.From(existing));
        return ProblemResults.Conflict(ProblemTypes.SkuTaken, "The SKU is taken", $"A product with SKU {existing.Sku} is already in the catalog.");
    }

    static Dictionary<string, string[]> Validate(ProductWriteRequest request, bool creating)
    {
        var errors = new Dictionary<string, string[]>();
        if (creating && (string.IsNullOrWhiteSpace(request.Sku) || !SkuPattern().IsMatch(request.Sku.Trim())))
            errors["sku"] = ["1 to 64 characters: capital letters, digits, '-', '_' or '.'."];
        Text(errors, "name", request.Name, 200, required: true);
        Text(errors, "brand", request.Brand, 100, required: true);
        Text(errors, "category", request.Category, 100, required: true);
        Text(errors, "description", request.Description, 2000, required: false);
        if (request.Price is not { } price || price <= 0 || price > 1_000_000m || decimal.Round(price, 2) != price)
            errors["price"] = ["A price above 0 and at most 1,000,000 with at most two decimals."];
        if (request.Currency is { } currency && !CurrencyPattern().IsMatch(currency.Trim()))
            errors["currency"] = ["An ISO 4217 code: three capital letters."];
        return errors;
    }

    static void Text(Dictionary<string, string[]> errors, string field, string? value, int max, bool required)
    {
        if (required && string.IsNullOrWhiteSpace(value))
            errors[field] = ["Required."];
        else if (value is not null && value.Trim().Length > max)
            errors[field] = [$"At most {max} characters."];
        else if (value is not null && value.Any(char.IsControl))
            errors[field] = ["No control characters."];
    }

    public static string ETagOf(long revision) => $"\"{revision}\"";

    static bool IfMatchFails(HttpRequest http, long revision)
    {
        var ifMatch = http.GetTypedHeaders().IfMatch;
        if (ifMatch.Count == 0)
            return false;
        var current = ETagOf(revision);
        return !ifMatch.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || (!tag.IsWeak && tag.Tag.Value == current));
    }

    static IResult PreconditionFailed(long revision) => Results.Problem(statusCode: StatusCodes.Status412PreconditionFailed,
        type: ProblemTypes.PreconditionFailed, title: "The product is at another revision",
        detail: $"If-Match named a revision the product is no longer at (it is at {revision}); read it and send the edit again.");

    static IResult Tagged(IResult result, long revision, HttpRequest http)
    {
        http.HttpContext.Response.Headers.ETag = ETagOf(revision);
        return result;
    }

    static Guid UserOf(ClaimsPrincipal caller) => Guid.Parse(caller.FindFirstValue("sub")!);

    [GeneratedRegex("^[A-Z0-9][A-Z0-9._-]{0,63}$")]
    private static partial Regex SkuPattern();

    [GeneratedRegex("^[A-Z]{3}$")]
    private static partial Regex CurrencyPattern();
}

// A product as a vendor or admin writes it. On an edit Sku and VendorId may be left out (they do not change).
public sealed record ProductWriteRequest(string? Sku, string? Name, string? Brand, string? Category, string? Description, decimal? Price,
    string? Currency, Guid? VendorId);

// A product as product_db holds it, for its vendor: revision is the ETag to send as If-Match.
public sealed record ProductDetails(Guid Id, string Sku, Guid VendorId, string Name, string Brand, string Category, string Description, decimal Price,
    string Currency, bool InStock, long Revision, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static ProductDetails From(Product product) => new(product.Id, product.Sku, product.VendorId, product.Name, product.Brand, product.Category,
        product.Description, product.Price, product.Currency, product.InStock, product.Revision, product.CreatedAt, product.UpdatedAt);
}
