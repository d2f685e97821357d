using System.Buffers.Text;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GlobalCommerce.Api.Problems;
using Microsoft.Net.Http.Headers;
using Microsoft.OpenApi;

namespace GlobalCommerce.Api.Http;

// Endpoint metadata: a public catalog read. Its JSON answer honours fields= (only the named properties, of the root or of
// each element of ItemsProperty), carries a strong ETag of the bytes sent (If-None-Match → 304), is gzip-compressed above
// 1 KB for clients that accept it, and may be stored by caches that revalidate (Cache-Control: no-cache) when the caller is
// anonymous.
public sealed record CatalogRead(string? ItemsProperty = null);

public static partial class CatalogReads
{
    public const int CompressAbove = 1024;
    const int MaxFields = 30;

    public static RouteHandlerBuilder WithCatalogRead(this RouteHandlerBuilder builder, string? itemsProperty = null) => builder
        .WithMetadata(new CatalogRead(itemsProperty))
        .Produces(StatusCodes.Status304NotModified)
        .AddOpenApiOperationTransformer((operation, _, _) =>
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = "fields",
                In = ParameterLocation.Query,
                Description = "Comma-separated properties to keep" + (itemsProperty is null ? "" : $" in each of {itemsProperty}")
                    + ", e.g. id,name,price; an unknown name answers 400",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = "If-None-Match",
                In = ParameterLocation.Header,
                Description = "The ETag of an earlier answer: 304 without a body if it is unchanged",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
            return Task.CompletedTask;
        });

    public static IApplicationBuilder UseCatalogReads(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var read = http.GetEndpoint()?.Metadata.GetMetadata<CatalogRead>();
        if (read is null || !(HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method)))
        {
            await next();
            return;
        }

        string[]? fields = null;
        if (http.Request.Query.TryGetValue("fields", out var requested))
        {
            fields = [.. string.Join(',', requested.ToArray()).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Distinct(StringComparer.OrdinalIgnoreCase)];
            if (fields.Length is 0 or > MaxFields || fields.Any(f => !FieldName().IsMatch(f)))
            {
                await Invalid($"fields: 1 to {MaxFields} property names separated by commas.").ExecuteAsync(http);
                return;
            }
        }

        var response = http.Response;
        var original = response.Body;
        using var buffer = new MemoryStream();
        response.Body = buffer;
        try
        {
            await next();
        }
        finally
        {
            response.Body = original;
        }

        if (response.StatusCode != StatusCodes.Status200OK || response.ContentType?.StartsWith("application/json", StringComparison.Ordinal) != true)
        {
            buffer.Position = 0;
            await buffer.CopyToAsync(original, http.RequestAborted);
            return;
        }

        var body = buffer.ToArray();
        if (fields is not null)
        {
            var (projected, unknown) = Project(body, fields, read.ItemsProperty);
            if (unknown.Count > 0)
            {
                response.Clear();
                await Invalid($"fields: unknown {string.Join(", ", unknown)}.").ExecuteAsync(http);
                return;
            }

            body = projected;
        }

        var tag = "\"" + Base64Url.EncodeToString(SHA256.HashData(body).AsSpan(0, 16)) + "\"";
        // Public data may be kept by a cache that revalidates it; a signed-in caller's answer (personalised results) is not kept.
        response.Headers.CacheControl = http.User.Identity?.IsAuthenticated == true ? "no-store" : "no-cache";
        response.Headers.Vary = HeaderNames.AcceptEncoding;
        if (Matches(http.Request, tag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            response.Headers.ETag = tag;
            response.ContentLength = null;
            return;
        }

        if (body.Length > CompressAbove && AcceptsGzip(http.Request))
        {
            using var compressed = new MemoryStream();
            await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
                await gzip.WriteAsync(body, http.RequestAborted);
            body = compressed.ToArray();
            response.Headers.ContentEncoding = "gzip";
            // Another representation, another strong tag; If-None-Match accepts either (Matches strips the suffix).
            tag = tag[..^1] + "-gzip\"";
        }

        response.Headers.ETag = tag;
        response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(http.Request.Method))
            await original.WriteAsync(body, http.RequestAborted);
    });

    static IResult Invalid(string detail) => ProblemResults.Validation(new Dictionary<string, string[]> { ["fields"] = [detail] });

    static bool Matches(HttpRequest request, string tag)
    {
        var ifNoneMatch = request.GetTypedHeaders().IfNoneMatch;
        foreach (var candidate in ifNoneMatch)
        {
            if (candidate.Equals(EntityTagHeaderValue.Any))
                return true;
            // Weak comparison (RFC 9110 13.1.2) across the plain and the gzip representation.
            var value = candidate.Tag.Value ?? "";
            if (value.EndsWith("-gzip\"", StringComparison.Ordinal))
                value = value[..^6] + "\"";
            if (value == tag)
                return true;
        }

        return false;
    }

    static bool AcceptsGzip(HttpRequest request)
    {
        var accepted = request.GetTypedHeaders().AcceptEncoding;
        var gzip = accepted.FirstOrDefault(e => string.Equals(e.Value.Value, "gzip", StringComparison.OrdinalIgnoreCase))
            ?? accepted.FirstOrDefault(e => e.Value.Value == "*");
        return gzip is not null && (gzip.Quality ?? 1) > 0;
    }

    // Keeps the named properties (case-insensitive) of the root object, of each element of a root array, or of each
    // element of the items array; names that no projected object has are returned as unknown.
    static (byte[] Body, List<string> Unknown) Project(byte[] body, string[] fields, string? itemsProperty)
    {
        var root = JsonNode.Parse(body)!;
        var targets = (itemsProperty is null ? root : root[itemsProperty]) switch
        {
            JsonArray array => array.OfType<JsonObject>().ToList(),
            JsonObject single => [single],
            _ => [],
        };
        var known = targets.SelectMany(o => o.Select(p => p.Key)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var unknown = targets.Count == 0 ? [] : fields.Where(f => !known.Contains(f)).ToList();
        if (unknown.Count > 0)
            return (body, unknown);
        foreach (var target in targets)
        {
            foreach (var name in target.Select(p => p.Key).Where(k => !fields.Contains(k, StringComparer.OrdinalIgnoreCase)).ToList())
                target.Remove(name);
        }

        return (JsonSerializer.SerializeToUtf8Bytes(root), unknown);
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]{0,63}$")]
    private static partial Regex FieldName();
}
