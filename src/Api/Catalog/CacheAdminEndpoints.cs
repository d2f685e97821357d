using GlobalCommerce.Api.Identity;
using GlobalCommerce.Consumers.Catalog;
using GlobalCommerce.Consumers.Catalog.Search;

namespace GlobalCommerce.Api.Catalog;

// The founding document's "manual" cache invalidation, for an admin: the product cache and the search results cache,
// of every host when they live in Redis. Event-driven invalidation needs no help; this is for a cache thought wrong.
public static partial class CacheAdminEndpoints
{
    public static IEndpointRouteBuilder MapCacheAdmin(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/admin/cache/clear", ClearAsync).WithTags("Catalog").RequireAuthorization(policy => policy.RequireRole(Roles.Admin))
            .WithName("ClearCaches")
            .WithSummary("Empty the product cache and the search results cache (admin)")
            .WithDescription("Every cached product and product list goes (their freshness fences stay), and every cached search: of every "
                + "API host when the caches are in Redis (real mode), of this one on the embedded default (its only host).")
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
            await searches.ClearAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is StackExchange.Redis.RedisException or TimeoutException)
        {
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The cache is unavailable",
                detail: "Redis could not be reached; the caches may be partly cleared. Try again shortly.");
        }

        LogCleared(logger, caller.FindFirst("sub")?.Value);
        return Results.Ok(new CacheCleared(["products", "search"]));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Caches cleared by hand by admin {UserId}")]
    static partial void LogCleared(ILogger logger, string? userId);
}

public sealed record CacheCleared(IReadOnlyList<string> Caches);
