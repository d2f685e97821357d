using System.Text.Json.Nodes;
using GlobalCommerce.Api.Http;
using GlobalCommerce.Api.Orders;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace GlobalCommerce.Api.OpenApi;

// The OpenAPI document (/openapi/v1.json) describes what the endpoints declare, plus what every endpoint shares and
// so is said once here: the bearer scheme, which operations need it, and the 401 they answer without it.
public static class OpenApiDocument
{
    public const string BearerScheme = "Bearer";

    // The support console's pages and form posts (cookie-authenticated, for staff) are not part of the JSON API.
    const string SupportConsolePaths = "/support";

    // Documents whose shape a standard of its own defines (RFC 7517 JWKS, OpenID Connect Discovery).
    const string WellKnownPaths = "/.well-known/";

    public static IServiceCollection AddCommerceOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer(DescribeDocumentAsync);
            options.AddOperationTransformer(DescribeSecurityAsync);
            options.AddOperationTransformer(DescribeBodyLimit);
            options.AddSchemaTransformer(OptionalCustomerId);
        });

    static Task DescribeDocumentAsync(Microsoft.OpenApi.OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "An access token from POST /api/auth/login or /api/auth/refresh (ES256, 15 minutes).",
        };
        foreach (var path in document.Paths.Keys.Where(path => path.StartsWith(SupportConsolePaths, StringComparison.Ordinal)).ToList())
            document.Paths.Remove(path);
        foreach (var operation in document.Paths.Where(path => path.Key.StartsWith(WellKnownPaths, StringComparison.Ordinal))
                     .SelectMany(path => path.Value.Operations?.Values.AsEnumerable() ?? Enumerable.Empty<OpenApiOperation>()))
        {
            operation.Responses ??= [];
            operation.Responses["200"] = new OpenApiResponse
            {
                Description = "The document as its standard defines it",
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.Object, AdditionalPropertiesAllowed = true } },
                },
            };
        }

        return Task.CompletedTask;
    }

    // Anything not marked anonymous falls under the fallback policy (a signed-in user), so it needs the bearer token
    // and answers 401 without one.
    static async Task DescribeSecurityAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.Description.ActionDescriptor.EndpointMetadata.OfType<IAllowAnonymous>().Any())
        {
            operation.Security = [];
            return;
        }

        operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] }];
        operation.Responses ??= [];
        if (!operation.Responses.ContainsKey("401"))
        {
            var problem = await context.GetOrCreateSchemaAsync(typeof(ProblemDetails), null, cancellationToken);
            operation.Responses["401"] = new OpenApiResponse
            {
                Description = "No bearer token, or one that is invalid, expired or of an ended session",
                Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() { Schema = problem } },
            };
        }
    }

    // Each endpoint that reads a body says how much it takes (x-max-body-bytes): clients and tests need not guess.
    static Task DescribeBodyLimit(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        if (operation.RequestBody is not null && RequestBodyLimits.For(new Endpoint(null, new EndpointMetadataCollection(metadata), null)) is { } limit)
        {
            operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
            operation.Extensions[RequestBodyLimits.OpenApiExtension] = new JsonNodeExtension(JsonValue.Create(limit));
        }

        return Task.CompletedTask;
    }

    // Positional records make every constructor parameter required; the customer comes from the token and a
    // customerId is to be left out (or name the caller).
    static Task OptionalCustomerId(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.JsonTypeInfo.Type == typeof(SubmitOrderRequest))
            schema.Required?.Remove("customerId");
        return Task.CompletedTask;
    }
}
