using GlobalCommerce.Api.Identity;
using GlobalCommerce.Consumers.Catalog;
using GlobalCommerce.Consumers.Catalog.Search;

namespace GlobalCommerce.Api.Catalog;

// The founding document's "manual" cache invalidation, for an admin: the product cache (shared by every host in real
// mode) and this host's search results. Event-driven invalidation needs no help; this is for a cache thought wrong.
public static partial class CacheAdminEndpoints
{
    public static IEndpointRouteBuilder MapCacheAdmin(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/admin/cache/clear", ClearAsync).WithTags("Catalog").RequireAuthorization(policy => policy.RequireRole(Roles.Admin))
            .WithName("ClearCaches")
            .WithSummary("Empty the product cache and this host's search results cache (admin)")
            .WithDescription("Every cached product and product list goes (their freshness fences stay), and this API host's cached searches. "
                + "Other API hosts keep their own search results until their next indexed change or 5 minutes.")
            .Produces<CacheCleared>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    static async Task<IResult> ClearAsync(ProductCache products, SearchResultCache searches, ILogger<CacheCleared> logger,
        System.Security.Claims.ClaimsPrincipal caller, CancellationToken cancellationToken)
    {
        try
        {
            await products.ClearAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is StackExchange.Redis.RedisException or TimeoutException)
        {
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The cache is unavailable",
                detail: "The product cache could not be reached; nothing was cleared there. Try again shortly.");
        }

        await searches.InvalidateAsync(cancellationToken);
        LogCleared(logger, caller.FindFirst("sub")?.Value);
        return Results.Ok(new CacheCleared(["products", "search"]));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Caches cleared by hand by admin {UserId}")]
    static partial void LogCleared(ILogger logger, string? userId);
}

public sealed record CacheCleared(IReadOnlyList<string> Caches);
