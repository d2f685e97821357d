using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GlobalCommerce.Api.Tests.Fuzzing;

// The operations the OpenAPI document describes, read from the running host, so that a new endpoint is covered by
// the tests that walk the family without anyone adding it to a list.
public sealed record ApiOperation(string Method, string Path, string Name, IReadOnlyList<ApiParameter> Parameters, JsonNode? BodySchema, bool Anonymous)
{
    public override string ToString() => $"{Method} {Path}";

    // A request that reaches the endpoint: every path parameter filled with a plausible value.
    public string PlausiblePath() => Parameters.Where(p => p.In == "path")
        .Aggregate(Path, (path, p) => path.Replace("{" + p.Name + "}", Uri.EscapeDataString(SchemaValues.Plausible(p.Schema, null)?.ToString() ?? "x"), StringComparison.Ordinal));
}

public sealed record ApiParameter(string Name, string In, bool Required, JsonNode? Schema);

public static class ApiOperations
{
    public static async Task<(IReadOnlyList<ApiOperation> Operations, JsonNode Document)> ReadAsync(HttpClient client)
    {
        var document = (await client.GetFromJsonAsync<JsonNode>("/openapi/v1.json"))!;
        var operations = new List<ApiOperation>();
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, node) in item!.AsObject())
            {
                if (method is "parameters" or "summary" or "description" or "servers")
                    continue;
                var parameters = (node!["parameters"]?.AsArray() ?? [])
                    .Select(p => Resolve(document, p!))
                    .Select(p => new ApiParameter(p["name"]!.GetValue<string>(), p["in"]!.GetValue<string>(), p["required"]?.GetValue<bool>() ?? false,
                        p["schema"] is { } schema ? Resolve(document, schema) : null))
                    .ToList();
                var body = node["requestBody"]?["content"]?["application/json"]?["schema"];
                var anonymous = node["security"] is JsonArray { Count: 0 };
                operations.Add(new ApiOperation(method.ToUpperInvariant(), path, node["operationId"]?.GetValue<string>() ?? $"{method} {path}",
                    parameters, body, anonymous));
            }
        }

        return (operations, document);
    }

    public static JsonNode Resolve(JsonNode document, JsonNode node)
    {
        for (var depth = 0; depth < 16 && node["$ref"] is { } reference; depth++)
        {
            var target = document;
            foreach (var part in reference.GetValue<string>().TrimStart('#', '/').Split('/'))
                target = target[part]!;
            node = target;
        }

        return node;
    }
}

// Values a schema accepts, built without knowing the endpoint: the starting point the fuzzer then breaks.
public static class SchemaValues
{
    public static JsonNode? Plausible(JsonNode? schema, JsonNode? document, int depth = 0)
    {
        if (schema is null || depth > 8)
            return "x";
        if (document is not null)
            schema = ApiOperations.Resolve(document, schema);
        if ((schema["oneOf"] ?? schema["anyOf"] ?? schema["allOf"]) is { } choices && choices.AsArray().FirstOrDefault(c => !IsNull(c, document)) is { } first)
            return Plausible(first, document, depth + 1);
        var format = schema["format"]?.GetValue<string>();
        return TypeOf(schema) switch
        {
            "integer" => 1,
            "number" => 1.5,
            "boolean" => true,
            "array" => new JsonArray(Plausible(schema["items"], document, depth + 1)),
            "object" => Object(schema, document, depth),
            _ => format switch
            {
                "uuid" => Guid.NewGuid().ToString(),
                "email" => "fuzz@example.test",
                "date-time" => "2026-01-31T14:00:00Z",
                _ => schema["enum"] is JsonArray { Count: > 0 } values ? values[0]!.DeepClone() : "x",
            },
        };
    }

    static JsonObject Object(JsonNode schema, JsonNode? document, int depth)
    {
        var result = new JsonObject();
        foreach (var (name, property) in schema["properties"]?.AsObject() ?? [])
            result[name] = Plausible(property, document, depth + 1);
        return result;
    }

    static bool IsNull(JsonNode? schema, JsonNode? document) =>
        schema is not null && (document is null ? schema : ApiOperations.Resolve(document, schema))["type"]?.ToString() == "null";

    // OpenAPI 3.1 writes nullable types as ["string", "null"].
    static string? TypeOf(JsonNode schema) => schema["type"] switch
    {
        JsonArray types => types.Select(t => t!.GetValue<string>()).FirstOrDefault(t => t != "null"),
        JsonValue type => type.GetValue<string>(),
        _ => schema["properties"] is not null ? "object" : null,
    };
}
