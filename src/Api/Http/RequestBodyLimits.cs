using GlobalCommerce.Api.Problems;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;

namespace GlobalCommerce.Api.Http;

// Every JSON endpoint reads at most a bounded body: its own limit (WithBodyLimit) or DefaultJsonBytes. The server's own
// 30 MB ceiling is far above any request this API takes, and a body that big is parsed (unknown fields included)
// before anything looks at it. Declared once here, enforced in two places: before the endpoint runs, from
// Content-Length, and while JsonBody reads a body of unknown length.
public static class RequestBodyLimits
{
    // Login, registration, consent and the like are a few hundred bytes.
    public const long DefaultJsonBytes = 16 * 1024;

    // Where the OpenAPI document states an operation's limit.
    public const string OpenApiExtension = "x-max-body-bytes";

    public static TBuilder WithBodyLimit<TBuilder>(this TBuilder builder, long bytes) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new BodyLimit(bytes));

    // Endpoints that take no JSON keep the server's limit: they have no body reader of ours to bound.
    public static long? For(Endpoint? endpoint)
    {
        if (endpoint is null)
            return null;
        if (endpoint.Metadata.GetMetadata<IRequestSizeLimitMetadata>() is { MaxRequestBodySize: { } declared })
            return declared;
        var takesJson = endpoint.Metadata.GetOrderedMetadata<IAcceptsMetadata>()
            .Any(accepts => accepts.ContentTypes.Any(type => type.Contains("json", StringComparison.OrdinalIgnoreCase)));
        return takesJson ? DefaultJsonBytes : null;
    }

    // Runs after routing (so the endpoint is known) and before authentication: an oversized body costs nothing.
    public static IApplicationBuilder UseRequestBodyLimits(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (For(http.GetEndpoint()) is { } limit)
        {
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } server)
                server.MaxRequestBodySize = limit;
            if (http.Request.ContentLength > limit)
            {
                await TooLarge(limit).ExecuteAsync(http);
                return;
            }
        }

        await next(http);
    });

    public static IResult TooLarge(long limit) => Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge,
        type: ProblemTypes.PayloadTooLarge, title: "Request body too large",
        detail: $"This endpoint takes at most {limit} bytes of body.");

    sealed record BodyLimit(long Bytes) : IRequestSizeLimitMetadata
    {
        public long? MaxRequestBodySize => Bytes;
    }
}
