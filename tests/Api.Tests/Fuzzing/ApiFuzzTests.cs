using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace GlobalCommerce.Api.Tests.Fuzzing;

// Every operation of the OpenAPI document, sent generated input (missing, wrongly typed, huge and naughty values in
// path, query and JSON body; a fixed list plus seeded mutations), as an anonymous caller and as a shopper. Whatever
// comes in, the answer is a 2xx, or a 4xx with problem details, within the timeout: never a 500, never a hang.
public sealed class ApiFuzzTests(ITestOutputHelper output)
{
    const int Seed = 20261130;
    const int CasesPerOperation = 24;
    static readonly TimeSpan PerRequest = TimeSpan.FromSeconds(15);

    // Failures found by this test in code other engineers are changing, kept here so the test stays green for them
    // and red for anything new. Each entry: operation name and the kind of input. Delete an entry once its fix lands.
    static readonly HashSet<(string Operation, string Input)> Known = [];

    [Fact]
    public async Task Generated_input_to_every_operation_answers_2xx_or_a_4xx_problem_and_never_500_or_hangs()
    {
        await using var factory = new ApiFactory();
        var (operations, document) = await ApiOperations.ReadAsync(factory.CreateClient());
        var random = new Random(Seed);
        var failures = new List<string>();
        var knownSeen = new HashSet<(string, string)>();
        var sent = 0;
        var statuses = new SortedDictionary<int, int>();

        // Session-ending operations last, so that they do not take the shopper's token from the others.
        foreach (var operation in operations.OrderBy(o => o.Method == "DELETE" || o.Path.EndsWith("/logout", StringComparison.Ordinal)))
        {
            foreach (var shopper in new[] { false, true })
            {
                // A shopper of its own per operation: one operation's effects (a logout, an erasure) never reach another's.
                var client = shopper ? await factory.CreateShopperClientAsync() : factory.CreateClient();
                foreach (var input in FuzzInputs.For(operation, document, random).Take(CasesPerOperation))
                {
                    sent++;
                    var (status, failure) = await SendAsync(client, operation, input);
                    statuses[status] = statuses.GetValueOrDefault(status) + 1;
                    if (failure is null)
                        continue;
                    if (Known.Contains((operation.Name, input.Kind)))
                        knownSeen.Add((operation.Name, input.Kind));
                    else
                        failures.Add($"{operation} ({operation.Name}) as {(shopper ? "shopper" : "anonymous")}, {input.Kind}: {failure}\n    {input.Describe()}");
                }
            }
        }

        output.WriteLine($"{operations.Count} operations, {sent} requests, seed {Seed}, {failures.Count} new failures, known seen: {string.Join(", ", knownSeen)}");
        output.WriteLine("Statuses: " + string.Join(", ", statuses.Select(s => $"{s.Key}×{s.Value}")));
        foreach (var stale in Known.Except(knownSeen))
            output.WriteLine($"Known failure no longer seen, remove it from the list: {stale}");
        Assert.True(failures.Count == 0, $"{failures.Count} of {sent} generated requests failed:\n" + string.Join("\n", failures.Distinct().Take(60)));
    }

    // The status (0 when none came) and what was wrong with the answer, if anything.
    static async Task<(int Status, string? Failure)> SendAsync(HttpClient client, ApiOperation operation, FuzzInput input)
    {
        using var request = new HttpRequestMessage(new HttpMethod(operation.Method), input.Url);
        if (input.Body is not null)
            request.Content = new StringContent(input.Body, Encoding.UTF8, MediaTypeHeaderValue.Parse(input.ContentType));
        using var timeout = new CancellationTokenSource(PerRequest);
        try
        {
            using var response = await client.SendAsync(request, timeout.Token);
            var status = (int)response.StatusCode;
            var mediaType = response.Content.Headers.ContentType?.MediaType;
            if (status is >= 200 and < 300)
                return (status, null);
            if (status is >= 400 and < 500 && mediaType == "application/problem+json")
                return (status, null);
            var body = await response.Content.ReadAsStringAsync(timeout.Token);
            return (status, $"{status} {mediaType ?? "(no body type)"} {body[..Math.Min(body.Length, 300)]}");
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return (0, $"no answer within {PerRequest.TotalSeconds} s (hang)");
        }
        catch (HttpRequestException exception)
        {
            return (0, $"request failed: {exception.Message}");
        }
    }
}

public sealed record FuzzInput(string Kind, string Url, string? Body, string ContentType)
{
    public string Describe() => $"{Url} {(Body is null ? "" : $"[{ContentType}] {Body[..Math.Min(Body.Length, 200)]}")}";
}

// The inputs: a plausible request first, then one thing broken at a time, chosen by the seeded random.
public static class FuzzInputs
{
    static readonly string Huge = new('A', 200_000);

    public static readonly string[] Naughty =
    [
        "", " ", "null", "undefined", "0", "-1", "2147483648", "-9223372036854775809", "99999999999999999999999999", "1e309", "NaN",
        "Infinity", "true", "[]", "{}", "00000000-0000-0000-0000-000000000000", "' OR '1'='1' --", "\"; DROP TABLE orders; --",
        "<script>alert(1)</script>", "../../../../etc/passwd", "%00", "%zz", "\u0000", "\u202e\u0041\u0042", "😀👍🏽",
        "ﾟ･✿ヾ╲(｡◕‿◕｡)╱✿･ﾟ", "\r\nX-Injected: 1", "{{7*7}}", "${jndi:ldap://x/a}", "Ω≈ç√∫˜µ≤≥÷", "   \t\n", new string('9', 400),
        "ch_sandbox_", "tok_timeout", "a@b", "@", "2026-02-30T25:61:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
    ];

    static readonly string[] RawBodies =
    [
        "", "null", "[]", "123", "\"text\"", "{", "{\"a\":", "{\"a\":1,}", "not json at all", "{\"\u0000\":1}",
        new string('[', 5_000) + new string(']', 5_000), "{\"x\":\"" + new string('B', 300_000) + "\"}",
    ];

    static JsonNode? WrongValue(Random random) => random.Next(12) switch
    {
        0 => null,
        1 => 123,
        2 => -1,
        3 => 1e308,
        4 => true,
        5 => new JsonArray(),
        6 => new JsonObject(),
        7 => Huge,
        8 => long.MaxValue,
        9 => new JsonArray(Enumerable.Range(0, 2_000).Select(i => (JsonNode?)i).ToArray()),
        _ => Naughty[random.Next(Naughty.Length)],
    };

    public static IEnumerable<FuzzInput> For(ApiOperation operation, JsonNode document, Random random)
    {
        yield return Build(operation, "plausible", random, document, _ => { }, pathValue: null, queryMode: 0);
        while (true)
        {
            var pathValue = operation.Parameters.Any(p => p.In == "path") && random.Next(3) == 0 ? Naughty[random.Next(Naughty.Length)] : null;
            var queryMode = random.Next(3);
            var kind = operation.BodySchema is null ? 0 : random.Next(6);
            switch (kind)
            {
                case 0:
                    yield return Build(operation, pathValue is null ? $"query-{queryMode}" : "path", random, document, _ => { }, pathValue, queryMode);
                    break;
                case 1:
                    yield return Build(operation, "body-missing-field", random, document, body => RemoveOne(body, random), pathValue, queryMode);
                    break;
                case 2:
                case 3:
                    yield return Build(operation, "body-wrong-value", random, document, body => ReplaceOne(body, random), pathValue, queryMode);
                    break;
                case 4:
                    yield return Build(operation, "body-raw", random, document, null, pathValue, queryMode,
                        raw: RawBodies[random.Next(RawBodies.Length)]);
                    break;
                default:
                    yield return Build(operation, "body-content-type", random, document, _ => { }, pathValue, queryMode,
                        contentType: random.Next(2) == 0 ? "text/plain" : "application/x-www-form-urlencoded");
                    break;
            }
        }
    }

    static FuzzInput Build(ApiOperation operation, string kind, Random random, JsonNode document, Action<JsonNode>? mutate,
        string? pathValue, int queryMode, string? raw = null, string contentType = "application/json")
    {
        var path = operation.Path;
        foreach (var parameter in operation.Parameters.Where(p => p.In == "path"))
        {
            // A NUL in the path never reaches the application: Kestrel refuses the request line with a 400 of its own (and
            // the test host's client throws), so it is tried in the query and the body instead.
            var value = (pathValue ?? SchemaValues.Plausible(parameter.Schema, document)?.ToString() ?? "x").Replace("\0", "", StringComparison.Ordinal);
            path = path.Replace("{" + parameter.Name + "}", Escape(value), StringComparison.Ordinal);
        }

        var query = new List<string>();
        foreach (var parameter in operation.Parameters.Where(p => p.In == "query"))
        {
            // 0: left out; 1: a naughty value; 2: a plausible one.
            var mode = queryMode == 0 ? 0 : random.Next(3);
            if (mode == 1)
                query.Add($"{parameter.Name}={Escape(Naughty[random.Next(Naughty.Length)])}");
            else if (mode == 2)
                query.Add($"{parameter.Name}={Escape(SchemaValues.Plausible(parameter.Schema, document)?.ToString() ?? "x")}");
        }

        string? body = null;
        if (operation.BodySchema is not null)
        {
            if (raw is not null)
                body = raw;
            else
            {
                var node = SchemaValues.Plausible(operation.BodySchema, document) ?? new JsonObject();
                mutate?.Invoke(node);
                body = node.ToJsonString();
            }
        }

        return new FuzzInput(kind, query.Count == 0 ? path : path + "?" + string.Join('&', query), body, contentType);
    }

    // A lone surrogate cannot be percent-encoded as UTF-8; it stays out of URLs (the bodies carry it).
    static string Escape(string value)
    {
        try
        {
            return Uri.EscapeDataString(value);
        }
        catch (UriFormatException)
        {
            return "x";
        }
    }

    static void RemoveOne(JsonNode body, Random random)
    {
        var objects = Descendants(body).OfType<JsonObject>().Where(o => o.Count > 0).ToList();
        if (objects.Count == 0)
            return;
        var target = objects[random.Next(objects.Count)];
        target.Remove(target.ElementAt(random.Next(target.Count)).Key);
    }

    static void ReplaceOne(JsonNode body, Random random)
    {
        var slots = Descendants(body).OfType<JsonObject>().SelectMany(o => o.Select(p => (Owner: o, p.Key))).ToList();
        if (slots.Count == 0)
            return;
        var (owner, key) = slots[random.Next(slots.Count)];
        owner[key] = WrongValue(random);
    }

    static IEnumerable<JsonNode> Descendants(JsonNode node)
    {
        yield return node;
        IEnumerable<JsonNode?> children = node switch
        {
            JsonObject o => o.Select(p => p.Value),
            JsonArray a => a,
            _ => [],
        };
        foreach (var child in children.OfType<JsonNode>().ToList())
            foreach (var descendant in Descendants(child))
                yield return descendant;
    }
}
